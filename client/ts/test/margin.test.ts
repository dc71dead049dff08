// The generated client against the compiled program (target/deploy/margin.so,
// SBPF v3) in LiteSVM, under mainnet-beta's feature set like the Rust suite:
// a group, two Pyth-pull-priced pools (SOL $100, USDC $1), a lender, and a
// borrower who deposits, borrows (once over the limit: InsufficientHealth),
// repays and withdraws. Every step decodes the accounts with the generated
// decoders and checks exact values. All of it happens in one clock second, so
// share values stay at exactly 1.0 (2^64 in Q64.64) and shares equal amounts.
import { strict as assert } from "node:assert";
import { test } from "node:test";

import {
  AccountRole,
  generateKeyPairSigner,
  isSolanaError,
  lamports,
  SolanaError,
  SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM,
  type Address,
  type KeyPairSigner,
} from "@solana/kit";
import { TOKEN_PROGRAM_ADDRESS } from "@solana-program/token";

import {
  AccountKind,
  decodeGroup,
  decodeMarginAccount,
  decodePool,
  findGroupPda,
  findMarginAccountPda,
  findPoolPda,
  findVaultAuthorityPda,
  findVaultPda,
  getBorrowInstruction,
  getCreatePoolInstruction,
  getDepositInstruction,
  getInitGroupInstruction,
  getMarginErrorMessage,
  getOpenMarginAccountInstruction,
  getRepayInstruction,
  getWithdrawInstruction,
  isMarginError,
  MARGIN_ERROR__INSUFFICIENT_HEALTH,
} from "../src";
import {
  balance,
  newMint,
  newTokenAccount,
  NOW,
  ONE_Q64,
  poolConfig,
  priceUpdateV2,
  PYTH_RECEIVER,
  read,
  runtime,
  send,
  sendOk,
  setAccount,
  ZERO_KEY,
  type PoolKeys,
} from "./helpers";

test("group, pull-priced pools, deposit, borrow (over the limit: InsufficientHealth), repay, withdraw", async () => {
  const svm = runtime();
  const [payer, admin, feeOwner, lender, borrower] = await Promise.all([1, 2, 3, 4, 5].map(() => generateKeyPairSigner()));
  for (const signer of [payer, admin, lender, borrower]) svm.airdrop(signer.address, lamports(10_000_000_000n));

  // init_group
  const [group, groupBump] = await findGroupPda({ creator: admin.address, seed: 7 });
  await sendOk(svm, payer, [
    getInitGroupInstruction({ payer, admin, group, seed: 7, feeDestination: feeOwner.address, bump: groupBump, configDelaySecs: 172_800 }),
  ]);
  let groupData = decodeGroup(read(svm, group)).data;
  assert.equal(groupData.admin, admin.address);
  assert.equal(groupData.creator, admin.address);
  assert.equal(groupData.feeDestination, feeOwner.address);
  assert.equal(groupData.pendingAdmin, ZERO_KEY);
  assert.equal(groupData.seed, 7n);
  assert.equal(groupData.configDelaySecs, 172_800);
  assert.equal(groupData.bump, groupBump);
  assert.equal(groupData.version, 1);
  assert.equal(groupData.paused, 0);
  assert.equal(groupData.poolCount, 0);

  // create_pool x2, each priced by a Pyth pull feed (the pool stores the feed id; any update account of that feed is accepted).
  async function createPool(decimals: number, usd: bigint, feedByte: number): Promise<PoolKeys> {
    const mint = await newMint(svm, decimals, admin.address);
    const feedId = new Uint8Array(32).fill(feedByte);
    const oracle = (await generateKeyPairSigner()).address;
    setAccount(svm, oracle, PYTH_RECEIVER, priceUpdateV2(feedId, usd, NOW));
    const [pool, poolBump] = await findPoolPda({ group, mint });
    const [vault, vaultBump] = await findVaultPda({ pool });
    const [vaultAuthority, authorityBump] = await findVaultAuthorityPda({ pool });
    const config = poolConfig(feedId);
    await sendOk(svm, payer, [
      getCreatePoolInstruction({
        payer,
        admin,
        group,
        pool,
        mint,
        vault,
        vaultAuthority,
        tokenProgram: TOKEN_PROGRAM_ADDRESS,
        config,
        bumps: [poolBump, vaultBump, authorityBump],
      }),
    ]);
    const data = decodePool(read(svm, pool)).data;
    assert.deepEqual(
      [data.group, data.mint, data.tokenProgram, data.vault, data.vaultAuthority],
      [group, mint, TOKEN_PROGRAM_ADDRESS, vault, vaultAuthority],
    );
    assert.deepEqual([data.version, data.status, data.mintDecimals, data.bump, data.vaultBump, data.vaultAuthorityBump], [1, 0, decimals, poolBump, vaultBump, authorityBump]);
    assert.deepEqual([data.depositShareValue, data.borrowShareValue, data.protocolFees, data.insuranceFund], [ONE_Q64, ONE_Q64, 0n, 0n]);
    assert.deepEqual([data.totalDepositShares, data.totalBorrowShares, data.lastAccrualTs], [0n, 0n, NOW]);
    // The config reads back as written (padding and reserved bytes zero).
    const { padding: oraclePadding, ...oracleConfig } = data.config.oracle;
    assert.deepEqual({ ...oracleConfig, address: Uint8Array.from(oracleConfig.address) }, { ...config.oracle, address: feedId });
    assert.deepEqual(Uint8Array.from(oraclePadding), new Uint8Array(6));
    assert.deepEqual(data.config.rateCurve, config.rateCurve);
    assert.equal(data.config.depositCap, 2n ** 64n - 1n);
    assert.equal(data.config.initAssetWeightBps, 8_000);
    assert.equal(data.config.initLiabWeightBps, 11_000);
    assert.equal(data.config.isolatedDebtCeilingMicroUsd, 0n);
    assert.deepEqual(Uint8Array.from(data.config.reserved), new Uint8Array(8));
    return { pool, vault, vaultAuthority, mint, oracle };
  }
  const sol = await createPool(9, 100n, 0x51);
  const usdc = await createPool(6, 1n, 0x55);
  groupData = decodeGroup(read(svm, group)).data;
  assert.equal(groupData.poolCount, 2);

  // open_margin_account (cross) for the lender and the borrower
  async function openCross(owner: KeyPairSigner): Promise<Address> {
    const [marginAccount, bump] = await findMarginAccountPda({ group, owner: owner.address, index: 0 });
    await sendOk(svm, payer, [getOpenMarginAccountInstruction({ payer, owner, group, marginAccount, index: 0, kind: AccountKind.Cross, bump })]);
    return marginAccount;
  }
  const lenderAccount = await openCross(lender);
  const borrowerAccount = await openCross(borrower);
  let account = decodeMarginAccount(read(svm, borrowerAccount)).data;
  assert.deepEqual([account.kind, account.positionCount, account.index, account.bump, account.version], [AccountKind.Cross, 0, 0, (await findMarginAccountPda({ group, owner: borrower.address, index: 0 }))[1], 1]);
  assert.deepEqual([account.group, account.owner, account.positions.length], [group, borrower.address, 16]);

  // deposit: the lender supplies 10,000 USDC, the borrower 100 SOL
  const deposit = (owner: KeyPairSigner, marginAccount: Address, keys: PoolKeys, source: Address, amount: bigint) =>
    getDepositInstruction({ owner, marginAccount, group, pool: keys.pool, vault: keys.vault, source, mint: keys.mint, tokenProgram: TOKEN_PROGRAM_ADDRESS, amount });
  const lenderUsdc = await newTokenAccount(svm, usdc.mint, lender.address, 10_000_000_000n);
  await sendOk(svm, payer, [deposit(lender, lenderAccount, usdc, lenderUsdc, 10_000_000_000n)]);
  const borrowerSol = await newTokenAccount(svm, sol.mint, borrower.address, 100_000_000_000n);
  const borrowerUsdc = await newTokenAccount(svm, usdc.mint, borrower.address, 0n);
  await sendOk(svm, payer, [deposit(borrower, borrowerAccount, sol, borrowerSol, 100_000_000_000n)]);
  account = decodeMarginAccount(read(svm, borrowerAccount)).data;
  assert.equal(account.positionCount, 1);
  assert.deepEqual(account.positions[0], { pool: sol.pool, depositShares: 100_000_000_000n, borrowShares: 0n });
  assert.deepEqual([balance(svm, borrowerSol), balance(svm, sol.vault)], [0n, 100_000_000_000n]);
  assert.equal(decodePool(read(svm, usdc.pool)).data.totalDepositShares, 10_000_000_000n);

  // borrow: health accounts describe the account after the borrow, (pool, oracle) per position in slot order
  const healthAccounts = [sol.pool, sol.oracle, usdc.pool, usdc.oracle];
  const borrow = (amount: bigint) =>
    getBorrowInstruction({
      owner: borrower,
      marginAccount: borrowerAccount,
      group,
      pool: usdc.pool,
      vault: usdc.vault,
      vaultAuthority: usdc.vaultAuthority,
      destination: borrowerUsdc,
      mint: usdc.mint,
      tokenProgram: TOKEN_PROGRAM_ADDRESS,
      amount,
      healthAccounts,
    });
  // The limit: 100 SOL * $100 * 0.80 (initial asset weight) / ($1 * 1.10 (initial liability weight)) = 7,272.727272 USDC.
  const limit = 7_272_727_272n;
  const overLimit = borrow(limit + 1n);
  assert.deepEqual(overLimit.accounts.slice(9).map((meta) => [meta.address, meta.role]), healthAccounts.map((a) => [a, AccountRole.READONLY]));
  const { message, failure } = await send(svm, payer, [overLimit]);
  assert.ok(failure, "one unit over the limit must fail");
  const error = failure.err();
  assert.ok(typeof error === "object" && "index" in error && "err" in error, `${error}`);
  const custom = error.err();
  assert.ok(typeof custom === "object" && "code" in custom, `${custom}`);
  assert.equal(custom.code, MARGIN_ERROR__INSUFFICIENT_HEALTH);
  assert.equal(custom.code, 6054);
  assert.equal(getMarginErrorMessage(custom.code as typeof MARGIN_ERROR__INSUFFICIENT_HEALTH), "the action would leave initial health below zero");
  // What an RPC send would throw, decoded with the generated helper.
  const rpcError = new SolanaError(SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM, { code: custom.code, index: error.index });
  assert.ok(isSolanaError(rpcError, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM));
  assert.ok(isMarginError(rpcError, message, MARGIN_ERROR__INSUFFICIENT_HEALTH));
  account = decodeMarginAccount(read(svm, borrowerAccount)).data;
  assert.equal(account.positionCount, 1, "the failed borrow changed nothing");
  assert.equal(balance(svm, borrowerUsdc), 0n);

  await sendOk(svm, payer, [borrow(limit)]);
  account = decodeMarginAccount(read(svm, borrowerAccount)).data;
  assert.equal(account.positionCount, 2);
  assert.deepEqual(account.positions[1], { pool: usdc.pool, depositShares: 0n, borrowShares: limit });
  assert.deepEqual([balance(svm, borrowerUsdc), balance(svm, usdc.vault)], [limit, 10_000_000_000n - limit]);
  let usdcPool = decodePool(read(svm, usdc.pool)).data;
  assert.deepEqual([usdcPool.totalDepositShares, usdcPool.totalBorrowShares, usdcPool.borrowShareValue], [10_000_000_000n, limit, ONE_Q64]);

  // repay 1,000 USDC
  const repay = (amount: bigint, all: boolean) =>
    getRepayInstruction({ owner: borrower, marginAccount: borrowerAccount, group, pool: usdc.pool, vault: usdc.vault, source: borrowerUsdc, mint: usdc.mint, tokenProgram: TOKEN_PROGRAM_ADDRESS, amount, all });
  await sendOk(svm, payer, [repay(1_000_000_000n, false)]);
  account = decodeMarginAccount(read(svm, borrowerAccount)).data;
  assert.deepEqual(account.positions[1], { pool: usdc.pool, depositShares: 0n, borrowShares: limit - 1_000_000_000n });
  assert.equal(balance(svm, borrowerUsdc), limit - 1_000_000_000n);

  // withdraw 10 SOL while in debt: health accounts of the account after the withdrawal
  const withdraw = (amount: bigint, all: boolean, health?: Address[]) =>
    getWithdrawInstruction({
      owner: borrower,
      marginAccount: borrowerAccount,
      group,
      pool: sol.pool,
      vault: sol.vault,
      vaultAuthority: sol.vaultAuthority,
      destination: borrowerSol,
      mint: sol.mint,
      tokenProgram: TOKEN_PROGRAM_ADDRESS,
      amount,
      all,
      healthAccounts: health,
    });
  await sendOk(svm, payer, [withdraw(10_000_000_000n, false, healthAccounts)]);
  account = decodeMarginAccount(read(svm, borrowerAccount)).data;
  assert.deepEqual(account.positions[0], { pool: sol.pool, depositShares: 90_000_000_000n, borrowShares: 0n });
  assert.deepEqual([balance(svm, borrowerSol), balance(svm, sol.vault)], [10_000_000_000n, 90_000_000_000n]);

  // repay everything (the USDC position is removed), then withdraw all without health accounts (no debt left)
  await sendOk(svm, payer, [repay(0n, true)]);
  account = decodeMarginAccount(read(svm, borrowerAccount)).data;
  assert.equal(account.positionCount, 1);
  assert.deepEqual(account.positions[1], { pool: ZERO_KEY, depositShares: 0n, borrowShares: 0n });
  assert.deepEqual([balance(svm, borrowerUsdc), balance(svm, usdc.vault)], [0n, 10_000_000_000n]);
  usdcPool = decodePool(read(svm, usdc.pool)).data;
  assert.equal(usdcPool.totalBorrowShares, 0n);

  await sendOk(svm, payer, [withdraw(0n, true)]);
  account = decodeMarginAccount(read(svm, borrowerAccount)).data;
  assert.equal(account.positionCount, 0);
  assert.deepEqual([balance(svm, borrowerSol), balance(svm, sol.vault)], [100_000_000_000n, 0n]);
  assert.equal(decodePool(read(svm, sol.pool)).data.totalDepositShares, 0n);
});
