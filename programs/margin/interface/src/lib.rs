//! Everything the margin program and its clients must agree on, compiled by both:
//! account layouts (zero-copy Pod), instruction encoding, error codes, PDA seeds and
//! every formula (fixed-point math, interest). There is exactly one copy of each.
//!
//! `no_std` so the on-chain crate can use it; no Solana SDK types so the client
//! can use it with whichever SDK version it links. Addresses are plain `[u8; 32]`.
#![no_std]
// Overflow and truncation must be proven, not assumed: every formula here runs on chain and in bots.
#![deny(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]

pub mod error;
pub mod fixed;
pub mod flash;
pub mod health;
pub mod instruction;
pub mod interest;
pub mod isolation;
pub mod liquidation;
pub mod oracle;
pub mod pda;
pub mod protection;
pub mod state;

/// The program's address, `Lyteq51gQm4HPK8shkXx4n4CvT5v6bMGS9gZr674cXh`. A fixed key
/// (not a vanity one) so that tests, the demo and genesis-loaded deployments agree;
/// the client exposes it as a `Pubkey`.
pub const PROGRAM_ID: [u8; 32] = [
    0x05, 0x1e, 0x5c, 0x9a, 0x3f, 0x61, 0x0d, 0x8b, 0x2c, 0x47, 0x93, 0x10, 0xe4, 0x7a, 0x55, 0x0c, 0x9d, 0x21, 0x6e,
    0xb8, 0x43, 0xf2, 0x19, 0x87, 0xaa, 0x30, 0x6c, 0x02, 0xd5, 0x4e, 0x71, 0x18,
];

/// SPL Token program id (`TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA`).
pub const SPL_TOKEN_PROGRAM_ID: [u8; 32] = [
    6, 221, 246, 225, 215, 101, 161, 147, 217, 203, 225, 70, 206, 235, 121, 172, 28, 180, 133, 237, 95, 91, 55, 145,
    58, 140, 245, 133, 126, 255, 0, 169,
];

/// Token-2022 program id (`TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb`).
pub const TOKEN_2022_PROGRAM_ID: [u8; 32] = [
    6, 221, 246, 225, 238, 117, 143, 222, 24, 66, 93, 188, 228, 108, 205, 218, 182, 26, 252, 77, 131, 185, 13, 39, 254,
    189, 249, 40, 216, 161, 139, 252,
];

/// System program id (all zeros).
pub const SYSTEM_PROGRAM_ID: [u8; 32] = [0; 32];

/// Seconds in the 365-day year that APRs are quoted over.
pub const SECONDS_PER_YEAR: u64 = 365 * 24 * 60 * 60;

/// Basis points in one whole (100%).
pub const BPS: u64 = 10_000;
