//! Writes the Codama IDL to `idl/margin.json` (or the path given as the first argument).

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| margin_idl::IDL_PATH.to_string());
    std::fs::write(&path, margin_idl::render())?;
    eprintln!("wrote {path}");
    Ok(())
}
