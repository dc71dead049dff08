// The Rust health cache built to wasm (client/wasm, `npm run build:wasm`) against
// the program itself: on the .so in LiteSVM, a borrower with 100 SOL ($100,
// Pyth pull) borrows 5,000 USDC ($1); the wasm cache, loaded from the raw
// account bytes LiteSVM holds, must return exactly (Q64.64, to the bit) the
// Initial, Maintenance and Equity health the `health` instruction returns. Its
// max borrow and max withdraw must be the program's limits (the amount passes,
// one unit more fails with InsufficientHealth), and its SOL liquidation price
// must be where the program's Maintenance health changes sign. Pool config:
// client/src/config.rs `default_pool_config` (initial weights 0.80 / 1.10,
// maintenance 0.85 / 1.05, no stress move, zero confidence). One clock second
// throughout: no interest accrues, share values stay 1.0.
import { strict as assert } from "node:assert";
import { test } from "node:test";

import {
  generateKeyPairSigner,
  getAddressEncoder,
  getI128Decoder,
  getStructDecoder,
  lamports,
  type Address,
  type KeyPairSigner,
} from "@solana/kit";
import { TOKEN_PROGRAM_ADDRESS } from "@solana-program/token";
import { FailedTransactionMetadata, type LiteSVM } from "litesvm";

import {
  AccountKind,
  AccountSet,
  decodeMarginAccount,
  findGroupPda,
  findMarginAccountPda,
  findPoolPda,
  findVaultAuthorityPda,
  findVaultPda,
  getBorrowInstruction,
  getCreatePoolInstruction,
  getDepositInstruction,
  getHealthInstruction,
  getInitGroupInstruction,
  getOpenMarginAccountInstruction,
  getWithdrawInstruction,
  HealthCache,
  HealthValues,
  MARGIN_ERROR__INSUFFICIENT_HEALTH,
  MARGIN_PROGRAM_ADDRESS,
} from "../src";
import {
  newMint,
  newTokenAccount,
  NOW,
  poolConfig,
  priceUpdateV2,
  priceUpdateV2Mantissa,
  PYTH_RECEIVER,
  read,
  runtime,
  send,
  sendOk,
  setAccount,
  type PoolKeys,
} from "./helpers";

type Pool = PoolKeys & { feedId: Uint8Array };

/** The `health` instruction's return data: three i128 LE, USD Q64.64 (interface `Health::to_bytes`). */
const returnDataDecoder = getStructDecoder([
  ["initial", getI128Decoder()],
  ["maintenance", getI128Decoder()],
  ["equity", getI128Decoder()],
]);

/** The program's custom error code in a failed transaction. */
function customCode(failure: FailedTransactionMetadata): number {
  const error = failure.err();
  assert.ok(typeof error === "object" && "index" in error && "err" in error, `${error}`);
  const custom = error.err();
  assert.ok(typeof custom === "object" && "code" in custom, `${custom}`);
  return custom.code;
}

/** Health as the program computes it: the `health` instruction's return data, decoded. */
async function programHealth(svm: LiteSVM, payer: KeyPairSigner, marginAccount: Address, pools: Pool[]) {
  const healthAccounts = pools.flatMap((p) => [p.pool, p.oracle]);
  const { failure, meta } = await send(svm, payer, [getHealthInstruction({ marginAccount, healthAccounts })]);
  assert.ok(meta, failure ? `${failure.err()}\n${failure.meta().logs().join("\n")}` : "");
  const returned = meta.returnData();
  assert.deepEqual(Uint8Array.from(returned.programId()), Uint8Array.from(getAddressEncoder().encode(MARGIN_PROGRAM_ADDRESS)));
  const data = Uint8Array.from(returned.data());
  assert.equal(data.length, 48);
  return { data, health: returnDataDecoder.decode(data) };
}

/** The wasm health cache over the raw bytes LiteSVM holds: the margin account, and each pool with its oracle account. */
function healthCache(svm: LiteSVM, marginAccount: Address, pools: Pool[]): HealthCache {
  const accounts = new AccountSet();
  for (const p of pools) {
    for (const at of [p.pool, p.oracle]) {
      const account = read(svm, at);
      accounts.add(at, account.programAddress, account.data);
    }
    accounts.setOracle(p.pool, p.oracle);
  }
  return HealthCache.load(read(svm, marginAccount).data, accounts, svm.getClock().unixTimestamp);
}

/** Program and wasm agree to the bit on every level the `health` instruction returns; returns the program's. */
async function assertSameHealth(svm: LiteSVM, payer: KeyPairSigner, marginAccount: Address, pools: Pool[]) {
  const program = await programHealth(svm, payer, marginAccount, pools);
  const wasm = healthCache(svm, marginAccount, pools).health();
  assert.deepEqual(
    { initial: wasm.initial, maintenance: wasm.maintenance, equity: wasm.equity },
    program.health,
    "wasm health cache vs the health instruction",
  );
  // The wasm decoder of the return data (the interface's `Health::from_bytes`) reads the same.
  const decoded = HealthValues.fromReturnData(program.data);
  assert.deepEqual([decoded.initial, decoded.maintenance, decoded.equity], [program.health.initial, program.health.maintenance, program.health.equity]);
  console.log(
    `health (USD Q64.64): initial ${wasm.initial} ($${wasm.initialUsd}), maintenance ${wasm.maintenance} ($${wasm.maintenanceUsd}), equity ${wasm.equity} ($${wasm.equityUsd})`,
  );
  return program.health;
}

test("wasm health cache: health equals the health instruction's, max borrow / max withdraw are the program's limits, the liquidation price flips Maintenance health", async () => {
  const svm = runtime();
  const [payer, admin, feeOwner, lender, borrower] = await Promise.all([1, 2, 3, 4, 5].map(() => generateKeyPairSigner()));
  for (const signer of [payer, admin, lender, borrower]) svm.airdrop(signer.address, lamports(10_000_000_000n));

  const [group, groupBump] = await findGroupPda({ creator: admin.address, seed: 9 });
  await sendOk(svm, payer, [
    getInitGroupInstruction({ payer, admin, group, seed: 9, feeDestination: feeOwner.address, bump: groupBump, configDelaySecs: 172_800 }),
  ]);
  async function createPool(decimals: number, usd: bigint, feedByte: number): Promise<Pool> {
    const mint = await newMint(svm, decimals, admin.address);
    const feedId = new Uint8Array(32).fill(feedByte);
    const oracle = (await generateKeyPairSigner()).address;
    setAccount(svm, oracle, PYTH_RECEIVER, priceUpdateV2(feedId, usd, NOW));
    const [pool, poolBump] = await findPoolPda({ group, mint });
    const [vault, vaultBump] = await findVaultPda({ pool });
    const [vaultAuthority, authorityBump] = await findVaultAuthorityPda({ pool });
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
        config: poolConfig(feedId),
        bumps: [poolBump, vaultBump, authorityBump],
      }),
    ]);
    return { pool, vault, vaultAuthority, mint, oracle, feedId };
  }
  const sol = await createPool(9, 100n, 0x51);
  const usdc = await createPool(6, 1n, 0x55);
  const pools = [sol, usdc];

  async function openCross(owner: KeyPairSigner): Promise<Address> {
    const [marginAccount, bump] = await findMarginAccountPda({ group, owner: owner.address, index: 0 });
    await sendOk(svm, payer, [getOpenMarginAccountInstruction({ payer, owner, group, marginAccount, index: 0, kind: AccountKind.Cross, bump })]);
    return marginAccount;
  }
  const lenderAccount = await openCross(lender);
  const account = await openCross(borrower);
  const deposit = (owner: KeyPairSigner, marginAccount: Address, keys: Pool, source: Address, amount: bigint) =>
    getDepositInstruction({ owner, marginAccount, group, pool: keys.pool, vault: keys.vault, source, mint: keys.mint, tokenProgram: TOKEN_PROGRAM_ADDRESS, amount });
  const lenderUsdc = await newTokenAccount(svm, usdc.mint, lender.address, 10_000_000_000n);
  await sendOk(svm, payer, [deposit(lender, lenderAccount, usdc, lenderUsdc, 10_000_000_000n)]);
  const borrowerSol = await newTokenAccount(svm, sol.mint, borrower.address, 100_000_000_000n);
  const borrowerUsdc = await newTokenAccount(svm, usdc.mint, borrower.address, 0n);
  await sendOk(svm, payer, [deposit(borrower, account, sol, borrowerSol, 100_000_000_000n)]);

  const borrow = (amount: bigint) =>
    getBorrowInstruction({
      owner: borrower,
      marginAccount: account,
      group,
      pool: usdc.pool,
      vault: usdc.vault,
      vaultAuthority: usdc.vaultAuthority,
      destination: borrowerUsdc,
      mint: usdc.mint,
      tokenProgram: TOKEN_PROGRAM_ADDRESS,
      amount,
      healthAccounts: pools.flatMap((p) => [p.pool, p.oracle]),
    });
  const withdraw = (amount: bigint) =>
    getWithdrawInstruction({
      owner: borrower,
      marginAccount: account,
      group,
      pool: sol.pool,
      vault: sol.vault,
      vaultAuthority: sol.vaultAuthority,
      destination: borrowerSol,
      mint: sol.mint,
      tokenProgram: TOKEN_PROGRAM_ADDRESS,
      amount,
      all: false,
      healthAccounts: pools.flatMap((p) => [p.pool, p.oracle]),
    });
  async function assertRefused(instruction: ReturnType<typeof borrow> | ReturnType<typeof withdraw>) {
    const { failure } = await send(svm, payer, [instruction]);
    assert.ok(failure, "one unit over the limit must fail");
    assert.equal(customCode(failure), MARGIN_ERROR__INSUFFICIENT_HEALTH);
  }

  // Deposit only: health with the SOL position alone (the USDC pool is not a position yet).
  const depositOnly = await assertSameHealth(svm, payer, account, [sol]);
  assert.ok(depositOnly.initial > 0n && depositOnly.initial < depositOnly.maintenance && depositOnly.maintenance < depositOnly.equity);

  // Borrow 5,000 USDC: Initial health = 100 SOL x $100 x 0.80 - 5,000 x $1 x 1.10 = $2,500.
  await sendOk(svm, payer, [borrow(5_000_000_000n)]);
  const afterBorrow = await assertSameHealth(svm, payer, account, pools);
  assert.ok(Math.abs(Number(afterBorrow.initial) / 2 ** 64 - 2_500) < 1e-6, `${afterBorrow.initial}`);

  // Max withdraw of SOL: $2,500 / ($100 x 0.80) = 31.25 SOL; it passes, one lamport more fails.
  let cache = healthCache(svm, account, pools);
  const maxWithdraw = cache.maxWithdraw(sol.pool);
  console.log(`max withdraw: ${maxWithdraw} SOL lamports`);
  assert.ok(maxWithdraw > 31_249_999_000n && maxWithdraw <= 31_250_000_000n, `${maxWithdraw}`);
  await assertRefused(withdraw(maxWithdraw + 1n));
  await sendOk(svm, payer, [withdraw(maxWithdraw)]);
  await assertSameHealth(svm, payer, account, pools);
  assert.equal(healthCache(svm, account, pools).maxWithdraw(sol.pool), 0n);
  await sendOk(svm, payer, [deposit(borrower, account, sol, borrowerSol, maxWithdraw)]); // back to 100 SOL (share value 1.0)
  assert.deepEqual(await programHealth(svm, payer, account, pools).then((h) => h.health), afterBorrow);

  // Max borrow of USDC: $2,500 / ($1 x 1.10) = 2,272.727272 USDC, the rest of the 7,272.727272
  // limit client/ts/test/margin.test.ts finds from zero; it passes, one unit more fails.
  cache = healthCache(svm, account, pools);
  const maxBorrow = cache.maxBorrow(usdc.pool);
  console.log(`max borrow: ${maxBorrow} USDC units`);
  assert.equal(maxBorrow, 2_272_727_272n);
  await assertRefused(borrow(maxBorrow + 1n));
  await sendOk(svm, payer, [borrow(maxBorrow)]);
  const atLimit = await assertSameHealth(svm, payer, account, pools);
  assert.ok(atLimit.initial >= 0n && atLimit.initial < 1n << 64n, `${atLimit.initial}`); // under $1 of room left
  cache = healthCache(svm, account, pools);
  assert.equal(cache.maxBorrow(usdc.pool), 0n);
  // No pool has a stress move (stressBps 0): the stress scenario counts Initial values.
  assert.equal(cache.stressHealth(), atLimit.initial);
  assert.deepEqual(decodeMarginAccount(read(svm, account)).data.positions[1].borrowShares, 7_272_727_272n);

  // Liquidation price of SOL, by hand: 100 SOL x P x 0.85 = 7,272.727272 USDC x $1 x 1.05,
  // P = $89.839572... (USDC's price fixed); and USDC's, the debt's: 100 x $100 x 0.85 =
  // 7,272.727272 x P x 1.05, P = $1.113095... (SOL's price fixed).
  const liquidationPrice = cache.liquidationPrice(sol.pool);
  assert.ok(liquidationPrice !== undefined);
  const byHand = (7_272.727272 * 1.05) / (100 * 0.85);
  console.log(`SOL liquidation price: wasm ${liquidationPrice}, by hand ${byHand}`);
  assert.ok(Math.abs(liquidationPrice - byHand) < 1e-9 * byHand, `${liquidationPrice} vs ${byHand}`);
  const usdcLiquidationPrice = cache.liquidationPrice(usdc.pool);
  const usdcByHand = (100 * 100 * 0.85) / (7_272.727272 * 1.05);
  console.log(`USDC liquidation price: wasm ${usdcLiquidationPrice}, by hand ${usdcByHand}`);
  assert.ok(usdcLiquidationPrice !== undefined && Math.abs(usdcLiquidationPrice - usdcByHand) < 1e-9 * usdcByHand);
  // What-if: the cache with SOL 10% lower is, to the bit, the program with SOL's oracle at $90.
  const whatIf = cache.withPriceFactor(sol.pool, 0.9).health();
  setAccount(svm, sol.oracle, PYTH_RECEIVER, priceUpdateV2(sol.feedId, 90n, NOW));
  const at90 = await assertSameHealth(svm, payer, account, pools);
  assert.deepEqual({ initial: whatIf.initial, maintenance: whatIf.maintenance, equity: whatIf.equity }, at90);
  assert.ok(at90.maintenance > 0n); // $90 is above the liquidation price
  // The program agrees: SOL one part in 10^6 above it leaves Maintenance health positive, one
  // part below makes it negative (the account liquidatable); the wasm cache still matches exactly.
  for (const [factor, sign] of [[1 + 1e-6, 1n], [1 - 1e-6, -1n]] as const) {
    const mantissa = BigInt(Math.round(liquidationPrice * factor * 1e8));
    setAccount(svm, sol.oracle, PYTH_RECEIVER, priceUpdateV2Mantissa(sol.feedId, mantissa, NOW));
    const moved = await assertSameHealth(svm, payer, account, pools);
    console.log(`SOL at ${mantissa} x 10^-8: maintenance ${moved.maintenance}`);
    assert.ok(sign > 0n ? moved.maintenance > 0n : moved.maintenance < 0n, `${mantissa}: ${moved.maintenance}`);
    assert.ok(moved.initial < 0n);
  }

  // Failures are the program's errors: an oracle account left out of the set, and an hour
  // later (maxAgeSecs 60) a stale price for the debt.
  const partial = new AccountSet();
  for (const at of [sol.pool, sol.oracle, usdc.pool]) partial.add(at, read(svm, at).programAddress, read(svm, at).data);
  partial.setOracle(sol.pool, sol.oracle);
  partial.setOracle(usdc.pool, usdc.oracle);
  assert.throws(() => HealthCache.load(read(svm, account).data, partial, NOW), /^Error: HealthAccountCount \(6053\)/);
  partial.add(usdc.oracle, PYTH_RECEIVER, read(svm, usdc.oracle).data);
  assert.equal(HealthCache.load(read(svm, account).data, partial, NOW).health().equity, healthCache(svm, account, pools).health().equity);
  assert.throws(() => HealthCache.load(read(svm, account).data, partial, NOW + 3_600n), (error: Error) => {
    console.log(`an hour later: ${error.message}`);
    return /^OracleStale \(6043\)/.test(error.message);
  });
});
