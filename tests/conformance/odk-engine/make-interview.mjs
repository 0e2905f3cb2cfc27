#!/usr/bin/env node
// Prints a plausible answer sequence for a form (see lib/interview.mjs), as ANSWERS.json:
//
//   node make-interview.mjs FORM.xml [--max N] [--seed S]
//
// whova-answers.json was made with: node make-interview.mjs WHOVA --max 120 --seed 7
import { loadXForm } from './lib/engine.mjs';
import { plausibleInterview } from './lib/interview.mjs';

const option = (argv, name, fallback) => {
	const at = argv.indexOf(name);
	if (at === -1) return fallback;
	const value = Number(argv[at + 1]);
	if (!Number.isInteger(value) || value < 0) throw new Error(`${name} takes a non-negative integer`);
	argv.splice(at, 2);
	return value;
};

const main = async (argv) => {
	const maxAnswers = option(argv, '--max', 100);
	const seed = option(argv, '--seed', 1);
	if (argv.length !== 1) throw new Error('usage: node make-interview.mjs FORM.xml [--max N] [--seed S]');
	const loaded = await loadXForm(argv[0]);
	const answers = plausibleInterview(loaded.newInstance(), { maxAnswers, seed });
	process.stdout.write('[\n' + answers.map((a) => ` ${JSON.stringify(a)}`).join(',\n') + '\n]\n');
};

main(process.argv.slice(2)).catch((e) => {
	process.stderr.write(`make-interview: ${e.message}\n`);
	process.exitCode = 1;
});
