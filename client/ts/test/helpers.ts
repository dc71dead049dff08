// LiteSVM helpers shared by the node tests: the runtime under mainnet-beta's
// features with target/deploy/margin.so, sending, synthetic mints, token accounts
// and Pyth pull price updates, and the default pool config.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import {
  address,
  appendTransactionMessageInstructions,
  assertAccountExists,
  createTransactionMessage,
  generateKeyPairSigner,
  getAddressDecoder,
  getAddressEncoder,
  lamports,
  none,
  pipe,
  setTransactionMessageFeePayerSigner,
  signTransactionMessageWithSigners,
  some,
  type Address,
  type EncodedAccount,
  type Instruction,
  type KeyPairSigner,
} from "@solana/kit";
import { AccountState, getMintEncoder, getTokenDecoder, getTokenEncoder, TOKEN_PROGRAM_ADDRESS } from "@solana-program/token";
import { Clock, FailedTransactionMetadata, FeatureSet, LiteSVM } from "litesvm";

import { MARGIN_PROGRAM_ADDRESS, OracleKind, type PoolConfigArgs } from "../src";

export const ROOT = join(__dirname, "../../../..");
export const NOW = 1_750_000_000n;
export const ONE_Q64 = 1n << 64n;
export const PYTH_RECEIVER = address("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");
export const PRICE_UPDATE_V2_DISCRIMINATOR = [34, 241, 35, 99, 157, 126, 244, 205];
/** All-zero key bytes: "none" in `pendingAdmin`, an unused position slot's pool. */
export const ZERO_KEY = getAddressDecoder().decode(new Uint8Array(32));

/** The runtime with mainnet-beta's features (data/mainnet-beta-features.txt), the program, and a fixed clock. */
export function runtime(): LiteSVM {
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

/** Sends `instructions` with `payer` paying; returns the failure, or the metadata (logs, return data) of the success. */
export async function send(svm: LiteSVM, payer: KeyPairSigner, instructions: Instruction[]) {
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(payer, m),
    (m) => svm.setTransactionMessageLifetimeUsingLatestBlockhash(m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  const result = svm.sendTransaction(await signTransactionMessageWithSigners(message));
  svm.expireBlockhash();
  return result instanceof FailedTransactionMetadata ? { message, failure: result, meta: null } : { message, failure: null, meta: result };
}

export async function sendOk(svm: LiteSVM, payer: KeyPairSigner, instructions: Instruction[]) {
  const { failure } = await send(svm, payer, instructions);
  assert.equal(failure, null, failure ? `${failure.err()}\n${failure.meta().logs().join("\n")}` : "");
}

export function setAccount(svm: LiteSVM, at: Address, owner: Address, data: Uint8Array) {
  svm.setAccount({ address: at, data, executable: false, lamports: lamports(1_000_000_000n), programAddress: owner, space: BigInt(data.length) });
}

export async function newMint(svm: LiteSVM, decimals: number, authority: Address): Promise<Address> {
  const mint = (await generateKeyPairSigner()).address;
  const data = getMintEncoder().encode({ mintAuthority: some(authority), supply: 1n << 62n, decimals, isInitialized: true, freezeAuthority: none() });
  setAccount(svm, mint, TOKEN_PROGRAM_ADDRESS, new Uint8Array(data));
  return mint;
}

export async function newTokenAccount(svm: LiteSVM, mint: Address, owner: Address, amount: bigint): Promise<Address> {
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

export function read(svm: LiteSVM, at: Address): EncodedAccount {
  const account = svm.getAccount(at);
  assertAccountExists(account);
  return account;
}

export function balance(svm: LiteSVM, tokenAccount: Address): bigint {
  const account = svm.getAccount(tokenAccount);
  assert.ok(account.exists);
  return getTokenDecoder().decode(account.data).amount;
}

/** A fully verified Pyth `PriceUpdateV2` (the receiver's layout, 134 bytes) for `feedId`: `price` USD at expo -8, zero confidence, EMA = spot. */
export function priceUpdateV2(feedId: Uint8Array, usd: bigint, publishTime: bigint): Uint8Array {
  return priceUpdateV2Mantissa(feedId, usd * 100_000_000n, publishTime);
}

/** {@link priceUpdateV2} with the price given as its mantissa at expo -8 (USD x 10^8). */
export function priceUpdateV2Mantissa(feedId: Uint8Array, mantissa: bigint, publishTime: bigint): Uint8Array {
  const data = new Uint8Array(134);
  const view = new DataView(data.buffer);
  data.set(PRICE_UPDATE_V2_DISCRIMINATOR, 0);
  data.fill(7, 8, 40); // write authority
  data[40] = 1; // VerificationLevel::Full
  data.set(feedId, 41);
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
export function poolConfig(feedId: Uint8Array): PoolConfigArgs {
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
    flashFeeBps: 0,
    isolatedDebtCeilingMicroUsd: 0n,
  };
}

export type PoolKeys = { pool: Address; vault: Address; vaultAuthority: Address; mint: Address; oracle: Address };
