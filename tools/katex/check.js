// Renders every $$…$$ equation of the generated rustdoc (target/doc/pgoracle) with KaTeX in
// strict mode and fails if any does not parse. Run from the repository root after `cargo doc`:
//   npm install --prefix target/katex katex@0.16.11 && node tools/katex/check.js
const fs = require("fs");
const path = require("path");
const katex = require(path.resolve("target/katex/node_modules/katex"));

function htmlFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? htmlFiles(p) : p.endsWith(".html") ? [p] : [];
  });
}

const unescape = (s) =>
  s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");

let count = 0;
let failed = 0;
for (const file of htmlFiles("target/doc/pgoracle")) {
  const text = fs.readFileSync(file, "utf8");
  for (const match of text.matchAll(/\$\$([\s\S]*?)\$\$/g)) {
    const tex = unescape(match[1]);
    if (tex.includes("right:") || tex.includes("left:")) continue; // the auto-render options
    count++;
    try {
      katex.renderToString(tex, { throwOnError: true, displayMode: true, strict: "error" });
    } catch (err) {
      failed++;
      console.log(`${file}: ${tex}\n  ${err}`);
    }
  }
}
console.log(`${count} equations, ${failed} failed`);
process.exit(failed === 0 && count > 0 ? 0 : 1);
