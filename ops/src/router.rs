//! Where a capital-less liquidator sells the collateral it seizes. The bot
//! (`Liquidator::router`) asks a [`Router`] for a quote and for the swap
//! instructions it puts between `liquidate` and the repayment of its flash loan;
//! a deployment plugs in its DEX or aggregator, the tests the swap fixture.

use solana_sdk::{instruction::Instruction, pubkey::Pubkey};

use crate::bots::{BotError, Chain};

/// One sale of an exact input amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sale {
    /// Mint sold.
    pub from_mint: Pubkey,
    /// Mint bought.
    pub to_mint: Pubkey,
    /// Exact native units sold.
    pub amount_in: u64,
}

/// A venue for the bot's sales.
pub trait Router {
    /// The programs this router's swap instructions call: the bot refuses a
    /// route calling any other (and never lets a route call the margin, token or
    /// system program directly). None by default: nothing is trusted.
    fn programs(&self) -> Vec<Pubkey> {
        Vec::new()
    }

    /// Native units of `to_mint` the sale pays now, reading what it needs from
    /// `chain`; `None` when there is no route for the pair.
    fn quote(&self, chain: &mut dyn Chain, sale: &Sale) -> Result<Option<u64>, BotError>;

    /// Instructions selling exactly `sale.amount_in` out of `source` (a token
    /// account `owner` signs for) into `destination`, failing unless at least
    /// `min_out` arrives.
    fn swap(
        &self,
        owner: &Pubkey,
        sale: &Sale,
        source: &Pubkey,
        destination: &Pubkey,
        min_out: u64,
    ) -> Vec<Instruction>;
}
