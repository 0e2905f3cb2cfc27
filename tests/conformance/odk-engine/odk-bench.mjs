#!/usr/bin/env node
// Times ODK's engine on one form and one answer sequence, for the side-by-side benchmark with
// Fieldline's engine (same form, same answers):
//
//   node odk-bench.mjs FORM.xml ANSWERS.json [--runs N]
//
// Each run parses and compiles the form from its XML and creates an instance (the "load"), then
// applies the answers one at a time, timing each with process.hrtime.bigint(). Prints JSON: load
// time (median over runs) and per-answer times (median, p99, max over all answers of all runs).
import { readFileSync } from 'node:fs';
import { loadXForm, ENGINE_VERSION } from './lib/engine.mjs';
import { applyAnswers, normalizeAnswers } from './lib/state.mjs';

const ms = (ns) => Number(ns) / 1e6;

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

const main = async (argv) => {
	let runs = 5;
	const at = argv.indexOf('--runs');
	if (at !== -1) {
		runs = Number(argv[at + 1]);
		if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
		argv = argv.filter((_, i) => i !== at && i !== at + 1);
	}
	if (argv.length !== 2) throw new Error('usage: node odk-bench.mjs FORM.xml ANSWERS.json [--runs N]');
	const [formPath, answersPath] = argv;
	const answers = normalizeAnswers(JSON.parse(readFileSync(answersPath, 'utf8')));

	const loads = [];
	const perAnswer = [];
	let rejected = null;
	for (let run = 0; run < runs; run += 1) {
		const t0 = process.hrtime.bigint();
		const root = (await loadXForm(formPath)).newInstance();
		loads.push(ms(process.hrtime.bigint() - t0));
		const errors = [];
		for (const [index, answer] of answers.entries()) {
			const t = process.hrtime.bigint();
			const e = applyAnswers(root, [answer]);
			perAnswer.push(ms(process.hrtime.bigint() - t));
			errors.push(...e.map((err) => ({ ...err, index })));
		}
		rejected ??= errors;
	}
	// Every run sees the same answers, so the rejected ones of the first run stand for all.
	loads.sort((a, b) => a - b);
	perAnswer.sort((a, b) => a - b);
	const round = (x) => Math.round(x * 1000) / 1000;
	const result = {
		engine: `@getodk/xforms-engine ${ENGINE_VERSION}`,
		node: process.version,
		form: formPath,
		answers: answers.length,
		runs,
		// The first run also pays for JIT warm-up; the median hides that, the max shows it.
		load_ms: { median: round(quantile(loads, 0.5)), min: round(loads[0]), max: round(loads.at(-1)) },
		answer_ms: {
			median: round(quantile(perAnswer, 0.5)),
			p99: round(quantile(perAnswer, 0.99)),
			max: round(perAnswer.at(-1)),
			total_per_run: round(perAnswer.reduce((a, b) => a + b, 0) / runs),
		},
		rejected_answers: rejected,
	};
	process.stdout.write(JSON.stringify(result, null, 2) + '\n');
};

main(process.argv.slice(2)).catch((e) => {
	process.stderr.write(`odk-bench: ${e.message}\n`);
	process.exitCode = 1;
});
