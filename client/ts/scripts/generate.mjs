// Renders src/generated from the Codama IDL that `cargo run -p margin-idl`
// writes (idl/margin.json, a Codama root node read as is).
//
//   node scripts/generate.mjs           rewrite src/generated
//   node scripts/generate.mjs --check   fail if src/generated differs from a fresh rendering
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createFromJson } from "codama";
import { renderVisitor } from "@codama/renderers-js";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const generated = "src/generated";

async function render(dir) {
  const codama = createFromJson(readFileSync(join(packageDir, "../../idl/margin.json"), "utf8"));
  await codama.accept(
    renderVisitor(dir, {
      generatedFolder: generated,
      // The package's dependencies are pinned by hand in package.json.
      syncPackageJson: false,
      // The default name of the program's account enum (`MarginAccount`) is taken
      // by the margin account's own type.
      nameTransformers: { programAccountsEnum: () => "MarginAccountType" },
    }),
  );
  // @codama/renderers-js 2.2.0 annotates the plugin's return type as
  // `Omit<T, "margin"> & {...}`, which the `ExtendedClient<T, ...>` that
  // @solana/kit 8's `extendClient` returns is not assignable to under a generic
  // `T`; let TypeScript infer it. Fails loudly once the renderer changes.
  const pluginFile = join(dir, generated, "programs/margin.ts");
  const annotation = '): Omit<T, "margin"> & { margin: MarginPlugin } => {';
  const plugin = readFileSync(pluginFile, "utf8");
  if (!plugin.includes(annotation)) throw new Error("generate.mjs: the plugin annotation to drop is gone; revisit this step");
  writeFileSync(pluginFile, plugin.replace(annotation, ") => {"));
}

function files(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
}

if (process.argv.includes("--check")) {
  const scratch = mkdtempSync(join(tmpdir(), "margin-ts-"));
  try {
    await render(scratch);
    const fresh = join(scratch, generated);
    const committed = join(packageDir, generated);
    const names = [...new Set([...files(fresh), ...files(committed)])];
    const stale = names.filter((name) => {
      const read = (root) => { try { return readFileSync(join(root, name), "utf8"); } catch { return null; } };
      return read(fresh) !== read(committed);
    });
    if (stale.length > 0) {
      console.error(`src/generated is stale (${stale.join(", ")}): run \`npm run generate\` and commit the result`);
      process.exit(1);
    }
    console.log(`src/generated matches idl/margin.json (${names.length} files)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
} else {
  await render(packageDir);
  console.log("wrote src/generated from idl/margin.json");
}
