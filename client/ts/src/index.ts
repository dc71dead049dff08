// The margin program's TypeScript client for @solana/kit: everything in
// ./generated is rendered by Codama from idl/margin.json (`npm run generate`);
// ./health is the Rust health cache built to wasm (`npm run build:wasm`).
export * from "./generated";
export * from "./health";
