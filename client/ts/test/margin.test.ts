// The generated client against the compiled program (target/deploy/margin.so,
// SBPF v3) in LiteSVM, under mainnet-beta's feature set like the Rust suite:
// a group, two Pyth-pull-priced pools (SOL $100, USDC $1), a lender, and a
// borrower who deposits, borrows (once over the limit: InsufficientHealth),
// repays and withdraws. Every step decodes the accounts with the generated
// decoders and checks exact values. All of it happens in one clock second, so
// share values stay at exactly 1.0 (2^64 in Q64.64) and shares equal amounts.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import {
  AccountRole,
  address,
  appendTransactionMessageInstructions,
  assertAccountExists,
  createTransactionMessage,
  generateKeyPairSigner,
  getAddressDecoder,
  getAddressEncoder,
  isSolanaError,
  lamports,
  none,
  pipe,
  setTransactionMessageFeePayerSigner,
  signTransactionMessageWithSigners,
  some,
  SolanaError,
  SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM,
  type Address,
  type EncodedAccount,
  type Instruction,
  type KeyPairSigner,
} from "@solana/kit";
import { AccountState, getMintEncoder, getTokenDecoder, getTokenEncoder, TOKEN_PROGRAM_ADDRESS } from "@solana-program/token";
import { Clock, FailedTransactionMetadata, FeatureSet, LiteSVM } from "litesvm";

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
  MARGIN_PROGRAM_ADDRESS,
  OracleKind,
  type PoolConfigArgs,
} from "../src";

const ROOT = join(__dirname, "../../../..");
const NOW = 1_750_000_000n;
const ONE_Q64 = 1n << 64n;
const PYTH_RECEIVER = address("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");
const PRICE_UPDATE_V2_DISCRIMINATOR = [34, 241, 35, 99, 157, 126, 244, 205];
/** All-zero key bytes: "none" in `pendingAdmin`, an unused position slot's pool. */
const ZERO_KEY = getAddressDecoder().decode(new Uint8Array(32));

/** The runtime with mainnet-beta's features (data/mainnet-beta-features.txt), the program, and a fixed clock. */
function runtime(): LiteSVM {
  const features = new FeatureSet();
  const encoder = getAddressEncoder();
  for (const line of readFileSync(join(ROOT, "data/mainnet-beta-features.txt"), "utf8").split("\n")) {
    const id = line.trim().split(/\s+/)[0];
    if (id && !id.startsWith("#")) features.activate(new Uint8Array(encoder.encode(address(id))), 0n);
  }
  const svm = LiteSVM.default()
    .withFeatureSet(features)
    .withBuiltins()
    .withLamports(1_000_000_000_000_000n)
    .withSysvars()
    .withPrecompiles()
    .withDefaultPrograms();
  svm.addProgramFromFile(MARGIN_PROGRAM_ADDRESS, join(ROOT, "target/deploy/margin.so"));
  svm.setClock(new Clock(1_000n, NOW, 0n, 0n, NOW));
  return svm;
}

/** Sends `instructions` with `payer` paying; returns the failure, if any. */
async function send(svm: LiteSVM, payer: KeyPairSigner, instructions: Instruction[]) {
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(payer, m),
    (m) => svm.setTransactionMessageLifetimeUsingLatestBlockhash(m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  const result = svm.sendTransaction(await signTransactionMessageWithSigners(message));
  svm.expireBlockhash();
  return { message, failure: result instanceof FailedTransactionMetadata ? result : null };
}

async function sendOk(svm: LiteSVM, payer: KeyPairSigner, instructions: Instruction[]) {
  const { failure } = await send(svm, payer, instructions);
  assert.equal(failure, null, failure ? `${failure.err()}\n${failure.meta().logs().join("\n")}` : "");
}

function setAccount(svm: LiteSVM, at: Address, owner: Address, data: Uint8Array) {
  svm.setAccount({ address: at, data, executable: false, lamports: lamports(1_000_000_000n), programAddress: owner, space: BigInt(data.length) });
}

async function newMint(svm: LiteSVM, decimals: number, authority: Address): Promise<Address> {
  const mint = (await generateKeyPairSigner()).address;
  const data = getMintEncoder().encode({ mintAuthority: some(authority), supply: 1n << 62n, decimals, isInitialized: true, freezeAuthority: none() });
  setAccount(svm, mint, TOKEN_PROGRAM_ADDRESS, new Uint8Array(data));
  return mint;
}

async function newTokenAccount(svm: LiteSVM, mint: Address, owner: Address, amount: bigint): Promise<Address> {
  const account = (await generateKeyPairSigner()).address;
  const data = getTokenEncoder().encode({
    mint,
    owner,
    amount,
    delegate: none(),
    state: AccountState.Initialized,
    isNative: none(),
    delegatedAmount: 0n,
    closeAuthority: none(),
  });
  setAccount(svm, account, TOKEN_PROGRAM_ADDRESS, new Uint8Array(data));
  return account;
}

function read(svm: LiteSVM, at: Address): EncodedAccount {
  const account = svm.getAccount(at);
  assertAccountExists(account);
  return account;
}

function balance(svm: LiteSVM, tokenAccount: Address): bigint {
  const account = svm.getAccount(tokenAccount);
  assert.ok(account.exists);
  return getTokenDecoder().decode(account.data).amount;
}

/** A fully verified Pyth `PriceUpdateV2` (the receiver's layout, 134 bytes) for `feedId`: `price` USD at expo -8, zero confidence, EMA = spot. */
function priceUpdateV2(feedId: Uint8Array, usd: bigint, publishTime: bigint): Uint8Array {
  const data = new Uint8Array(134);
  const view = new DataView(data.buffer);
  data.set(PRICE_UPDATE_V2_DISCRIMINATOR, 0);
  data.fill(7, 8, 40); // write authority
  data[40] = 1; // VerificationLevel::Full
  data.set(feedId, 41);
  const mantissa = usd * 100_000_000n;
  view.setBigInt64(73, mantissa, true); // price
  view.setBigUint64(81, 0n, true); // conf
  view.setInt32(89, -8, true); // exponent
  view.setBigInt64(93, publishTime, true);
  view.setBigInt64(101, publishTime - 1n, true); // previous publish time
  view.setBigInt64(109, mantissa, true); // EMA price
  view.setBigUint64(117, 0n, true); // EMA conf
  view.setBigUint64(125, 1_000n, true); // posted slot
  return data;
}

/** client/src/config.rs `default_pool_config`, priced by the Pyth pull feed `feedId`. */
function poolConfig(feedId: Uint8Array): PoolConfigArgs {
  return {
    rateCurve: { baseRateBps: 0, kinkUtilizationBps: [5_000, 8_000, 9_000], kinkRateBps: [400, 1_000, 3_000], maxRateBps: 15_000 },
    oracle: { address: feedId, maxAgeSecs: 60, maxConfidenceBps: 200, confidenceMultiplierPct: 100, kind: OracleKind.PythPull, requireFullVerification: 1 },
    depositCap: 2n ** 64n - 1n,
    borrowCap: 2n ** 64n - 1n,
    protocolFeeBps: 1_000,
    insuranceFeeBps: 500,
    initAssetWeightBps: 8_000,
    maintAssetWeightBps: 8_500,
    initLiabWeightBps: 11_000,
    maintLiabWeightBps: 10_500,
    liquidationPenaltyMinBps: 200,
    liquidationPenaltyMaxBps: 1_000,
    liquidationInsuranceShareBps: 2_000,
    closeFactorBps: 5_000,
    flags: 0,
    dustThresholdMicroUsd: 1_000_000n,
    liquidationTargetBps: 500,
    stressBps: 0,
    stressConfidenceMultiplierPct: 0,
    liquidationConfidenceBonusPct: 0,
    ageHaircutStartSecs: 0,
    ageHaircutMaxBps: 0,
  };
}

type PoolKeys = { pool: Address; vault: Address; vaultAuthority: Address; mint: Address; oracle: Address };

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
    assert.deepEqual(Uint8Array.from(data.config.reserved), new Uint8Array(16));
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
