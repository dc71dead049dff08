//! The margin lending program: pools with utilization-driven interest, isolated and
//! cross margin accounts. `no_std`, pinocchio. Layouts, math and instruction
//! encoding live in `margin-interface`, shared with the client.
#![no_std]
// Overflow and truncation are proven, not assumed: checked ops, or a local allow
// whose comment states the bound.
#![deny(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]

pub mod entrypoint;
pub mod loaders;
pub mod processor;
pub mod sysvar;
pub mod validate;

pub use margin_interface as interface;

#[cfg(all(target_arch = "bpf", not(target_os = "solana")))]
use solana_compiler_builtins as _;
