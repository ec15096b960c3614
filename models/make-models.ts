// Writes the project's ONNX models into this folder (see README.md):
//   npx tsc -p models && node dist/models/make-models.js
// The output is byte-for-byte deterministic; test/calculators/onnx.test.ts checks that the committed
// files are exactly what this script writes.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SHIPPED_MODELS } from './shipped.js';

const here = (name: string) => fileURLToPath(new URL(`../../models/${name}`, import.meta.url));

for (const [name, make] of Object.entries(SHIPPED_MODELS)) {
  const bytes = make();
  writeFileSync(here(name), bytes);
  console.log(`models/${name}: ${bytes.length} bytes`);
}
