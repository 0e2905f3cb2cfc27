// Generates a plausible interview for any form: walks the leaves in document order as an enumerator
// would, answers each relevant, answerable, not yet answered question with a value of its type that
// its constraint accepts, and re-reads the form after every answer, so relevance set by earlier
// answers decides what is asked next. Used to smoke-test the shared forms and to write the whova
// benchmark's answer file. Deterministic for a given seed.
import { visitLeaves, applyAnswers, typeOf } from './state.mjs';

const ANSWERABLE = new Set(['input', 'select', 'rank', 'range', 'trigger']);

// mulberry32: a tiny seeded PRNG, so that the same seed gives the same interview.
const random = (seed) => () => {
	seed = (seed + 0x6d2b79f5) | 0;
	let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
	t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
	return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const pick = (rand, list) => list[Math.floor(rand() * list.length)];

/** Values to try, best first; the first one the engine takes and the constraint accepts wins. */
const candidates = (node, rand) => {
	const type = typeOf(node);
	const options = node.currentState.valueOptions ?? [];
	const choices = Array.isArray(options) ? options.map((o) => o.value) : [];
	const ints = [1 + Math.floor(rand() * 5), 0, 1, 2, 10, 25, 30, 45, 100, 1990, 2000, 2024];
	switch (type) {
		case 'select1':
			return [...new Set([pick(rand, choices), ...choices])].filter((c) => c !== undefined);
		case 'select': {
			const shuffled = [...choices].sort(() => rand() - 0.5);
			return [shuffled.slice(0, 1 + Math.floor(rand() * 2)).join(' '), ...choices];
		}
		case 'rank':
			return [choices.join(' ')];
		case 'int':
			return ints.map(String);
		case 'decimal':
			return [(rand() * 50).toFixed(2), '1.5', '0', '10', '100.25'];
		case 'date':
			return ['2023-06-15', '2024-01-15', '2000-03-01', '1990-07-20', '2030-01-01'];
		case 'time':
			return ['10:30:00', '08:00:00'];
		case 'dateTime':
			return ['2024-01-15T10:30:00', '2023-06-01T08:00:00'];
		case 'geopoint':
			return ['27.7172 85.324 1400 5'];
		case 'geotrace':
			return ['27.7 85.3 0 0;27.8 85.4 0 0'];
		case 'geoshape':
			return ['27.7 85.3 0 0;27.8 85.4 0 0;27.8 85.3 0 0;27.7 85.3 0 0'];
		case 'binary':
			return [];
		default:
			if (node.nodeType === 'trigger') return ['OK'];
			return [pick(rand, ['yes', 'Ram Bahadur', 'Kathmandu', 'none', 'test answer']), 'a', '1'];
	}
};

/** Leaves an enumerator would be asked now: relevant, not read-only, answerable, not yet answered. */
const nextQuestion = (root, answered) => {
	let next = null;
	visitLeaves(root, (node, path) => {
		if (next != null || answered.has(path) || !ANSWERABLE.has(node.nodeType)) return;
		const state = node.currentState;
		if (state.relevant && !state.readonly) next = { node, path };
	});
	return next;
};

/** The first relevant repeat the user controls that has fewer than `count` instances. */
const repeatToGrow = (node, count, grown) => {
	if (!node.currentState.relevant) return null;
	if (node.nodeType === 'repeat-range:uncontrolled' && !grown.has(node) && node.currentState.children.length < count) {
		return node;
	}
	for (const child of node.currentState.children ?? []) {
		if (child.currentState.children == null) continue;
		const found = repeatToGrow(child, count, grown);
		if (found) return found;
	}
	return null;
};

/**
 * Returns `[[path, value], ...]`, at most `maxAnswers`. When every question is answered, a repeat the
 * user controls gets one more instance (up to `repeatInstances`) and its questions are asked too;
 * the answers name those questions by `/path[n]`, so a replay adds the instance on demand.
 */
export const plausibleInterview = (root, { maxAnswers = 100, seed = 1, repeatInstances = 2 } = {}) => {
	const grown = new Set();
	const rand = random(seed);
	const answers = [];
	const answered = new Set();
	while (answers.length < maxAnswers) {
		const question = nextQuestion(root, answered);
		if (question == null) {
			const range = repeatToGrow(root, repeatInstances, grown);
			if (range == null) break;
			grown.add(range);
			range.addInstances(range.currentState.children.length - 1, 1);
			continue;
		}
		answered.add(question.path);
		for (const value of candidates(question.node, rand)) {
			const errors = applyAnswers(root, [[question.path, value]]);
			if (errors.length === 0 && question.node.validationState.constraint.valid) {
				answers.push([question.path, value]);
				break;
			}
			applyAnswers(root, [[question.path, '']]);
		}
	}
	return answers;
};
