// Encodes texts with Hugging Face's own JavaScript tokenizer (tokenizers.js, npm
// @huggingface/tokenizers), an implementation independent of the C# engine's, so that
// tools/make_tokenizer_fixtures.py can record the ids a correct tokenizer.json reader gives.
//
//   node tools/hf_tokenizers_reference.mjs PACKAGE_DIR < request.json > answer.json
//
// PACKAGE_DIR is an installed @huggingface/tokenizers (npm install --prefix DIR
// @huggingface/tokenizers@0.2.0 puts it in DIR/node_modules/@huggingface/tokenizers).
// request: {"tokenizer": tokenizer.json contents, "texts": [...]}
// answer: [{"text", "ids", "ids_with_special", "decoded"}] per text.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [packageDir] = process.argv.slice(2);
if (!packageDir) {
  console.error("usage: node hf_tokenizers_reference.mjs PACKAGE_DIR < request.json");
  process.exit(2);
}
const { Tokenizer } = await import(pathToFileURL(join(packageDir, "dist", "tokenizers.mjs")).href);
const request = JSON.parse(readFileSync(0, "utf8"));
// Decoding is compared as the raw inverse of encoding, as the engine decodes: no space clean-up.
const tokenizer = new Tokenizer(request.tokenizer, { clean_up_tokenization_spaces: false });
const answer = request.texts.map((text) => {
  const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
  const withSpecial = tokenizer.encode(text, { add_special_tokens: true }).ids;
  const decoded = ids.length === 0 ? "" : tokenizer.decode(ids, { clean_up_tokenization_spaces: false });
  return { text, ids, ids_with_special: withSpecial, decoded };
});
process.stdout.write(JSON.stringify(answer));
