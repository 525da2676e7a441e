// Bundles a page with esbuild from this folder's lockfile: the same sources and versions give
// the same bytes (tests/test_playground.py rebuilds the committed playground and compares).
//   node web/build.mjs playground OUTDIR   -> OUTDIR/playground.js, OUTDIR/playground.css
//   node web/build.mjs harness OUTDIR      -> the forms test's page
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const [entry, outdir] = process.argv.slice(2);
if (!["playground", "harness"].includes(entry) || !outdir) {
  console.error("usage: node web/build.mjs playground|harness OUTDIR");
  process.exit(2);
}
await build({
  absWorkingDir: here,
  entryPoints: [join("src", `${entry}.jsx`)],
  outfile: resolve(outdir, `${entry}.js`),
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  jsx: "automatic",
  charset: "utf8",
  legalComments: "eof",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});
