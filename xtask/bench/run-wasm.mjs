#!/usr/bin/env node
// Runs the wasm32-unknown-unknown build of crates/fieldline-form/examples/bench_engine.rs in Node
// and prints the JSON it reports. No wasm-bindgen: the example imports four plain functions from
// the "host" module (its inputs, a clock, and where to write its result) and exports `main`.
//
//   node run-wasm.mjs BENCH_ENGINE.wasm FORM.xlsx ANSWERS.json RUNS
//
// Inputs are read here, before the clock starts; the example times loading (parsing the workbook
// bytes into a form and creating the instance) and each answer itself, with performance.now().
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';

const [wasmPath, formPath, answersPath, runs] = process.argv.slice(2);
if (runs === undefined) {
	process.stderr.write('usage: node run-wasm.mjs BENCH_ENGINE.wasm FORM.xlsx ANSWERS.json RUNS\n');
	process.exit(1);
}
const inputs = [readFileSync(formPath), readFileSync(answersPath), Buffer.from(runs), Buffer.from(basename(formPath))];
let memory;
const bytes = (ptr, len) => new Uint8Array(memory.buffer, ptr, len);
const host = {
	now_ms: () => performance.now(),
	input_len: (which) => inputs[which].length,
	input_read: (which, ptr) => bytes(ptr, inputs[which].length).set(inputs[which]),
	output: (ptr, len) => process.stdout.write(Buffer.from(bytes(ptr, len)).toString('utf8') + '\n'),
};
// getrandom (through calamine's zip) links wasm-bindgen's placeholder imports. Reading a workbook
// never asks for randomness, so they are stubs that fail loudly if that ever changes.
const module = await WebAssembly.compile(readFileSync(wasmPath));
const imports = { host };
for (const { module: from, name } of WebAssembly.Module.imports(module)) {
	if (from === 'host') continue;
	imports[from] ??= {};
	imports[from][name] = () => {
		throw new Error(`the benchmark called the unprovided import ${from}.${name}`);
	};
}
const instance = await WebAssembly.instantiate(module, imports);
memory = instance.exports.memory;
// A Rust binary built for wasm32-unknown-unknown exports its C-style main(argc, argv).
instance.exports.main(0, 0);
