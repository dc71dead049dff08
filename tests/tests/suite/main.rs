//! The integration suite: one test binary (one link of the runtime) with a module
//! per instruction or concern, each running the real `.so` in the embedded SVM.

mod admin;
mod adversarial;
mod age_haircut;
mod borrow;
mod bots;
mod compute_units;
mod confidence_bonus;
mod deleverage;
mod demo;
mod deposit;
mod fees;
mod flash;
mod fuzz;
mod greeks;
mod health;
mod interest;
mod isolation_ceiling;
mod liquidate;
mod liquidator_bot;
mod margin_accounts;
mod oracle;
mod pyth_pull_conformance;
mod repay;
mod resolve_bad_debt;
mod review_ceiling;
mod review_deleverage;
mod review_flash;
mod risk;
mod risk_controls;
mod security;
mod stress;
mod token_2022;
mod transfer_collateral;
mod withdraw;
