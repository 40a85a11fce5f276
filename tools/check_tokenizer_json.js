// Cross-check for tools/make_llama_fixtures.py: encodes texts with Hugging Face's own tokenizers
// library (the Rust crate, through its official Node binding, npm package `tokenizers`).
// Not needed to regenerate the fixtures; when it is installed the generator asserts agreement:
//
//   npm install --prefix /tmp/hf-tokenizers tokenizers@0.23.2
//   NODE_PATH=/tmp/hf-tokenizers/node_modules OMP_NUM_THREADS=2 /usr/bin/python3 tools/make_llama_fixtures.py
//
// stdin: [{"file": path, "texts": [...]}]; stdout: [{"file", "ids", "ids_with_special_tokens", "decoded"}].
const { Tokenizer } = require("tokenizers");

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const requests = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const out = [];
  for (const { file, texts } of requests) {
    const tokenizer = Tokenizer.fromFile(file);
    const result = { file, ids: [], ids_with_special_tokens: [], decoded: [] };
    for (const text of texts) {
      const plain = (await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds();
      result.ids.push(plain);
      result.ids_with_special_tokens.push((await tokenizer.encode(text, null, { addSpecialTokens: true })).getIds());
      result.decoded.push(await tokenizer.decode(plain, false));
    }
    out.push(result);
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
