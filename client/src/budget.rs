//! Compute budget and priority fee: every transaction the bots and the CLI send
//! starts with a compute-unit limit (simulated units plus a margin) and a
//! compute-unit price. Always these two instructions, in this order, so a flash
//! loan built after them knows its index (`instructions::flash_wrap(..,
//! BUDGET_INSTRUCTIONS, ..)`).

use crate::sdk::{instruction::Instruction, message::VersionedMessage};
use solana_compute_budget_interface::ComputeBudgetInstruction;

/// Instructions a priced transaction starts with.
pub const BUDGET_INSTRUCTIONS: u16 = 2;

/// Most compute units one transaction may use.
pub const MAX_COMPUTE_UNIT_LIMIT: u32 = 1_400_000;

/// The compute budget program.
pub fn compute_budget_program_id() -> crate::sdk::pubkey::Pubkey {
    solana_compute_budget_interface::id()
}

/// `SetComputeUnitLimit(limit)` then `SetComputeUnitPrice(micro_lamports)`.
pub fn budget_instructions(limit: u32, micro_lamports: u64) -> [Instruction; 2] {
    [
        ComputeBudgetInstruction::set_compute_unit_limit(limit),
        ComputeBudgetInstruction::set_compute_unit_price(micro_lamports),
    ]
}

/// `body` after the two budget instructions.
pub fn with_budget(limit: u32, micro_lamports: u64, body: &[Instruction]) -> Vec<Instruction> {
    let mut instructions = budget_instructions(limit, micro_lamports).to_vec();
    instructions.extend_from_slice(body);
    instructions
}

/// Units added to every simulated limit: between simulation and landing the
/// state moves (a second passes and both pools accrue interest: measured 1,773
/// CU more on a validator for a liquidation simulated at 11,243).
pub const LIMIT_HEADROOM_UNITS: u64 = 5_000;

/// The limit for a transaction that simulated at `units`: `margin_pct` more
/// (rounded up) plus [`LIMIT_HEADROOM_UNITS`], within [`MAX_COMPUTE_UNIT_LIMIT`].
pub fn limit_from_simulation(units: u64, margin_pct: u64) -> u32 {
    let padded = units.saturating_mul(100u64.saturating_add(margin_pct)).div_ceil(100);
    let limit = padded.saturating_add(LIMIT_HEADROOM_UNITS);
    u32::try_from(limit).unwrap_or(u32::MAX).min(MAX_COMPUTE_UNIT_LIMIT)
}

/// The `percentile` (0..=100, nearest rank) of recent prioritization fees
/// (micro-lamports per CU); 0 without any.
pub fn percentile_fee(fees: &[u64], percentile: u8) -> u64 {
    if fees.is_empty() {
        return 0;
    }
    let mut sorted = fees.to_vec();
    sorted.sort_unstable();
    let rank = (usize::from(percentile.min(100)) * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// The highest price (micro-lamports per CU) whose priority fee at `limit`
/// (`price x limit / 1,000,000` lamports) stays within `budget_lamports`.
pub fn price_within(budget_lamports: u64, limit: u32) -> u64 {
    if limit == 0 {
        return 0;
    }
    let price = (budget_lamports as u128 * 1_000_000) / limit as u128;
    u64::try_from(price).unwrap_or(u64::MAX)
}

/// The limit and price a transaction's message sets (what a report shows).
pub fn decode_budget(message: &VersionedMessage) -> (Option<u32>, Option<u64>) {
    let keys = message.static_account_keys();
    let (mut limit, mut price) = (None, None);
    for ix in message.instructions() {
        if keys.get(usize::from(ix.program_id_index)) != Some(&compute_budget_program_id()) {
            continue;
        }
        match ix.data.split_first() {
            Some((2, rest)) => limit = rest.try_into().ok().map(u32::from_le_bytes),
            Some((3, rest)) => price = rest.try_into().ok().map(u64::from_le_bytes),
            _ => {}
        }
    }
    (limit, price)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_percentiles_and_budgets() {
        assert_eq!(limit_from_simulation(22_905, 10), 30_196);
        assert_eq!(limit_from_simulation(2_000_000, 10), MAX_COMPUTE_UNIT_LIMIT);
        assert_eq!(percentile_fee(&[], 75), 0);
        assert_eq!(percentile_fee(&[5, 1, 4, 2, 3], 50), 3);
        assert_eq!(percentile_fee(&[5, 1, 4, 2, 3], 75), 4);
        assert_eq!(percentile_fee(&[5, 1, 4, 2, 3], 100), 5);
        assert_eq!(percentile_fee(&[5, 1, 4, 2, 3], 0), 1);
        // 10,000 lamports over 25,000 CU: 400,000 micro-lamports per CU.
        assert_eq!(price_within(10_000, 25_000), 400_000);
    }
}
