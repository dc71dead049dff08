// margin-client's health cache (the Rust crate client/wasm, built to wasm by
// `npm run build:wasm`): health, max borrow, max withdraw and liquidation
// prices from raw account bytes, computed by the program's own engine. No
// health formula lives in TypeScript.
export { AccountSet, HealthCache, HealthValues } from "../wasm/margin_wasm";
