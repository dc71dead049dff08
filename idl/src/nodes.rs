//! Constructors of the Codama nodes the IDL uses (JSON as `codama`'s
//! `createFromJson` reads it; names are camelCase).

use serde_json::{json, Value};

/// `snake_case` or `PascalCase` to Codama's camelCase.
pub fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for (i, c) in name.trim_start_matches('_').chars().enumerate() {
        if c == '_' {
            upper = true;
        } else if i == 0 {
            out.extend(c.to_lowercase());
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

pub fn number(format: &str) -> Value {
    json!({"kind": "numberTypeNode", "format": format, "endian": "le"})
}

pub fn u8() -> Value {
    number("u8")
}
pub fn u16() -> Value {
    number("u16")
}
pub fn u32() -> Value {
    number("u32")
}
pub fn u64() -> Value {
    number("u64")
}
pub fn i64() -> Value {
    number("i64")
}
/// Q64.64: the Rust layout stores `[u8; 16]` (no 16-byte alignment); the bytes are
/// a little-endian `u128` whose value is `x * 2^64`.
pub fn q64() -> Value {
    number("u128")
}
/// A borsh `bool` (one byte).
pub fn boolean() -> Value {
    json!({"kind": "booleanTypeNode", "size": u8()})
}
pub fn pubkey() -> Value {
    json!({"kind": "publicKeyTypeNode"})
}
/// `[u8; n]` as raw bytes.
pub fn bytes(n: usize) -> Value {
    json!({"kind": "fixedSizeTypeNode", "size": n, "type": {"kind": "bytesTypeNode"}})
}
/// `[T; n]`.
pub fn array(item: Value, n: usize) -> Value {
    json!({"kind": "arrayTypeNode", "item": item, "count": {"kind": "fixedCountNode", "value": n}})
}
/// Items up to the end of the data.
pub fn remainder_array(item: Value) -> Value {
    json!({"kind": "arrayTypeNode", "item": item, "count": {"kind": "remainderCountNode"}})
}
pub fn defined(name: &str) -> Value {
    json!({"kind": "definedTypeLinkNode", "name": camel(name)})
}
pub fn bytes_value(data: &[u8]) -> Value {
    let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
    json!({"kind": "bytesValueNode", "data": hex, "encoding": "base16"})
}
pub fn utf8_value(text: &str) -> Value {
    json!({"kind": "bytesValueNode", "data": text, "encoding": "utf8"})
}
pub fn number_value(n: u64) -> Value {
    json!({"kind": "numberValueNode", "number": n})
}

/// A struct field; `default` is written by encoders and left out of their inputs
/// (discriminators, padding and reserved bytes).
pub fn field(name: &str, ty: Value, docs: Vec<String>, default: Option<Value>) -> Value {
    let mut node = json!({"kind": "structFieldTypeNode", "name": camel(name), "type": ty, "docs": docs});
    if let Some(value) = default {
        node["defaultValue"] = value;
        node["defaultValueStrategy"] = json!("omitted");
    }
    node
}

pub fn structure(fields: Vec<Value>) -> Value {
    json!({"kind": "structTypeNode", "fields": fields})
}

/// Base58 of a 32-byte address (the program id, well-known programs).
pub fn base58(bytes: &[u8; 32]) -> String {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut digits: Vec<u8> = Vec::new(); // base-58 digits, least significant first
    for &byte in bytes {
        let mut carry = u32::from(byte);
        for digit in digits.iter_mut() {
            carry += u32::from(*digit) << 8;
            *digit = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    let ones = std::iter::repeat_n('1', zeros);
    ones.chain(digits.iter().rev().map(|d| ALPHABET[usize::from(*d)] as char)).collect()
}
