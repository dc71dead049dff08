//! Doc comments read from the interface's source, so the IDL's docs are the ones
//! on the Rust definitions (`///` lines above an item, field or variant).

/// The interface sources the docs come from.
pub const STATE_GROUP: &str = include_str!("../../programs/margin/interface/src/state/group.rs");
pub const STATE_POOL: &str = include_str!("../../programs/margin/interface/src/state/pool.rs");
pub const STATE_MARGIN: &str = include_str!("../../programs/margin/interface/src/state/margin_account.rs");
pub const STATE_PENDING: &str = include_str!("../../programs/margin/interface/src/state/pending_config.rs");
pub const INSTRUCTION: &str = include_str!("../../programs/margin/interface/src/instruction.rs");

/// `///` lines directly above line `index` (attributes skipped), marker stripped.
fn above(lines: &[&str], index: usize) -> Vec<String> {
    let mut docs = Vec::new();
    for line in lines[..index].iter().rev().map(|l| l.trim()) {
        if let Some(doc) = line.strip_prefix("///") {
            docs.push(doc.strip_prefix(' ').unwrap_or(doc).to_string());
        } else if !line.starts_with("#[") {
            break;
        }
    }
    docs.reverse();
    docs
}

fn declares(line: &str, name: &str) -> bool {
    let line = line.trim().trim_start_matches("pub ");
    line.strip_prefix(name).is_some_and(|rest| {
        rest.is_empty()
            || rest.starts_with(':')
            || rest.starts_with(" {")
            || rest.starts_with(',')
            || rest.starts_with(" =")
    })
}

fn item_line(lines: &[&str], item: &str) -> usize {
    lines
        .iter()
        .position(|l| ["struct", "enum"].iter().any(|k| l.starts_with(&format!("pub {k} {item} {{"))))
        .unwrap_or_else(|| panic!("no item {item} in the interface source"))
}

/// Docs of a struct or enum.
pub fn item(src: &str, item: &str) -> Vec<String> {
    let lines: Vec<&str> = src.lines().collect();
    above(&lines, item_line(&lines, item))
}

/// Docs of the members `path` (a field; or a variant, then one of its fields)
/// inside `item`. Empty for undocumented members (padding).
pub fn member(src: &str, item: &str, path: &[&str]) -> Vec<String> {
    let lines: Vec<&str> = src.lines().collect();
    let mut at = item_line(&lines, item);
    for name in path {
        at += 1 + lines[at + 1..]
            .iter()
            .take_while(|l| **l != "}")
            .position(|l| declares(l, name))
            .unwrap_or_else(|| panic!("no member {name} of {item} in the interface source"));
    }
    above(&lines, at)
}
