// The margin program's TypeScript client for @solana/kit: everything in
// ./generated is rendered by Codama from idl/margin.json (`npm run generate`).
export * from "./generated";
