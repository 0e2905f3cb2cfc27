#!/usr/bin/env node
// ODK's side of `fieldline form eval`: replays answers through @getodk/xforms-engine and prints
// every leaf's state. See README.md for the output contract and the exact rules.
//
//   node odk-eval.mjs FORM.xml ANSWERS.json [--media DIR]
//       stdout: the JSON array of leaves. Each answer the engine did not take is written to stderr
//       and makes the exit code 2 (the leaves are still printed); 1 = the form or the answers
//       could not be read at all.
//   node odk-eval.mjs --batch
//       stdin: JSON lines {"id", "form", "answers", "media"?}; stdout: one JSON line per request,
//       {"id", "leaves", "errors"} or {"id", "error"}. Forms are parsed once and kept.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadXForm } from './lib/engine.mjs';
import { readLeaves, applyAnswers, normalizeAnswers } from './lib/state.mjs';

const usage = 'usage: node odk-eval.mjs FORM.xml ANSWERS.json [--media DIR] | node odk-eval.mjs --batch';

const evaluate = (loaded, answers) => {
	const root = loaded.newInstance();
	const errors = applyAnswers(root, normalizeAnswers(answers));
	return { leaves: readLeaves(root), errors };
};

const single = async (formPath, answersPath, mediaDir) => {
	let answers;
	try {
		answers = JSON.parse(readFileSync(answersPath, 'utf8'));
	} catch (e) {
		throw new Error(`${answersPath}: cannot read the answers: ${e.message}`);
	}
	const loaded = await loadXForm(formPath, { mediaDir });
	for (const name of loaded.missingAttachments) {
		process.stderr.write(`${formPath}: attachment ${name} not found; the engine uses it as empty\n`);
	}
	let result;
	try {
		result = evaluate(loaded, answers);
	} catch (e) {
		throw new Error(`${formPath} with ${answersPath}: ${e.message}`);
	}
	process.stdout.write(JSON.stringify(result.leaves, null, 1) + '\n');
	for (const err of result.errors) {
		process.stderr.write(`${formPath}: answer ${err.index} ${JSON.stringify(err.key)}: ${err.kind}: ${err.error}\n`);
	}
	return result.errors.length > 0 ? 2 : 0;
};

const batch = async () => {
	// A form's compiled definition is kept per (form, media) pair; failures are kept too so that a
	// form the engine rejects is not re-parsed for each of its hundreds of sequences.
	const cache = new Map();
	const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
	for await (const line of lines) {
		if (line.trim() === '') continue;
		let id = null;
		let reply;
		try {
			let request;
			try {
				request = JSON.parse(line);
			} catch (e) {
				throw new Error(`request is not JSON: ${e.message}`);
			}
			id = request.id ?? null;
			if (typeof request.form !== 'string') throw new Error('request has no "form" path');
			const cacheKey = `${request.form}\0${request.media ?? ''}`;
			if (!cache.has(cacheKey)) {
				cache.set(cacheKey, loadXForm(request.form, { mediaDir: request.media }).then(
					(loaded) => ({ loaded }),
					(error) => ({ error })
				));
			}
			const entry = await cache.get(cacheKey);
			if (entry.error) throw entry.error;
			try {
				reply = { id, ...evaluate(entry.loaded, request.answers) };
			} catch (e) {
				throw new Error(`${request.form}: ${e.message}`);
			}
		} catch (e) {
			reply = { id, error: e.message };
		}
		process.stdout.write(JSON.stringify(reply) + '\n');
	}
	return 0;
};

const main = async (argv) => {
	if (argv.length === 1 && argv[0] === '--batch') return batch();
	const media = argv.indexOf('--media');
	let mediaDir;
	if (media !== -1) {
		mediaDir = argv[media + 1];
		if (mediaDir == null) throw new Error(usage);
		argv = argv.filter((_, i) => i !== media && i !== media + 1);
	}
	if (argv.length !== 2) throw new Error(usage);
	return single(argv[0], argv[1], mediaDir);
};

main(process.argv.slice(2)).then(
	(code) => {
		process.exitCode = code;
	},
	(e) => {
		process.stderr.write(`odk-eval: ${e.message}\n`);
		process.exitCode = 1;
	}
);
