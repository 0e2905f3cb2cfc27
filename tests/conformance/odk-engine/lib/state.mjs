// Reads the state of every leaf of an engine instance and applies answers to it.
// The rules implemented here are written down in ../README.md; keep the two in step.

// Node types the engine uses for parents. Everything else it creates is a leaf.
const PARENT_TYPES = new Set(['root', 'group', 'repeat-range:controlled', 'repeat-range:uncontrolled', 'repeat-instance']);

/** The element's name as written in the primary instance, with its prefix if it has one. */
const nodeName = (node) => node.definition.qualifiedName.getPrefixedName();

/** The XForm instance path of a node: element names from the root, `[n]` (1-based) on repeat instances. */
const stepOf = (node) => {
	const name = nodeName(node);
	if (node.nodeType !== 'repeat-instance') return name;
	const siblings = node.parent.currentState.children;
	return `${name}[${siblings.indexOf(node) + 1}]`;
};

/** `select1`/`select`/`rank` for those controls, else the bind type the engine resolved. */
export const typeOf = (node) => {
	if (node.nodeType === 'select') return node.selectType;
	if (node.nodeType === 'rank') return 'rank';
	return node.valueType;
};

const messageOf = (node) => {
	const violation = node.validationState?.violation;
	return violation?.message?.asString ?? '';
};

/** Visits the leaves in document order, giving each with its path. Repeat ranges add no path step. */
export const visitLeaves = (root, visit) => {
	const walk = (node, parentPath) => {
		const isRange = node.nodeType.startsWith('repeat-range');
		const path = isRange ? parentPath : `${parentPath}/${stepOf(node)}`;
		if (!PARENT_TYPES.has(node.nodeType)) {
			visit(node, path);
			return;
		}
		for (const child of node.currentState.children ?? []) walk(child, path);
	};
	walk(root, '');
};

export const readLeaves = (root) => {
	const leaves = [];
	visitLeaves(root, (node, path) => {
		const state = node.currentState;
		const relevant = state.relevant;
		leaves.push({
			path,
			name: nodeName(node),
			type: typeOf(node),
			relevant,
			required: state.required,
			readonly: state.readonly,
			value: relevant ? state.instanceValue : '',
			valid: node.validationState.constraint.valid,
			message: messageOf(node),
		});
	});
	return leaves;
};

export class AnswerError extends Error {
	constructor(kind, message) {
		super(message);
		this.kind = kind;
	}
}

/** ANSWERS.json: `{"key": "value"}` or `[["key", "value"], ...]`, values XForm strings. */
export const normalizeAnswers = (answers) => {
	let pairs;
	if (Array.isArray(answers)) {
		pairs = answers;
	} else if (answers !== null && typeof answers === 'object') {
		pairs = Object.entries(answers);
	} else {
		throw new Error('answers must be an object {"key": "value"} or an array [["key", "value"], ...]');
	}
	return pairs.map((pair, index) => {
		if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
			throw new Error(`answer ${index}: expected ["key", "value"], got ${JSON.stringify(pair)}`);
		}
		const [key, value] = pair;
		if (typeof value !== 'string') {
			throw new Error(`answer ${index} (${key}): the value must be an XForm string, got ${JSON.stringify(value)}`);
		}
		return [key, value];
	});
};

const findLeafByName = (root, name) => {
	let found = null;
	visitLeaves(root, (node, path) => {
		if (found == null && nodeName(node) === name) found = { node, path };
	});
	return found;
};

const STEP = /^([^\[\]\/]+)(?:\[([1-9][0-9]*)\])?$/;

/**
 * Resolves `/data/hh[2]/age`. A step without a position on a repeat means instance 1. Missing repeat
 * instances of a repeat the user controls are appended until the position exists; a count-controlled
 * repeat (jr:count) cannot grow that way, so a position past its count is an error.
 */
const findNodeByPath = (root, path) => {
	const steps = path.split('/').slice(1);
	const parsed = steps.map((step) => {
		const m = STEP.exec(step);
		if (m == null) throw new AnswerError('unknown-key', `bad path step "${step}"`);
		return { name: m[1], position: m[2] == null ? null : Number(m[2]) };
	});
	if (parsed.length === 0 || parsed[0].name !== nodeName(root) || parsed[0].position != null) {
		throw new AnswerError('unknown-key', `the path must start with /${nodeName(root)}`);
	}
	let node = root;
	for (const [i, step] of parsed.slice(1).entries()) {
		const at = `/${steps.slice(0, i + 2).join('/')}`;
		const child = (node.currentState.children ?? []).find((c) => nodeName(c) === step.name);
		if (child == null) throw new AnswerError('unknown-key', `no node ${at}`);
		if (!child.nodeType.startsWith('repeat-range')) {
			if (step.position != null && step.position !== 1) {
				throw new AnswerError('unknown-key', `${at}: ${step.name} is not a repeat, only [1] is allowed`);
			}
			node = child;
			continue;
		}
		const position = step.position ?? 1;
		let instances = child.currentState.children;
		if (instances.length < position) {
			if (child.nodeType !== 'repeat-range:uncontrolled') {
				throw new AnswerError(
					'unknown-key',
					`${at}: the repeat's count is set by the form (jr:count), it has ${instances.length} instance(s)`
				);
			}
			child.addInstances(instances.length - 1, position - instances.length);
			instances = child.currentState.children;
		}
		node = instances[position - 1];
	}
	if (PARENT_TYPES.has(node.nodeType)) throw new AnswerError('unknown-key', `${path} is a ${node.nodeType}, not a leaf`);
	return node;
};

const tokens = (value) => value.split(/[ \t\r\n]+/).filter((t) => t !== '');

// An XPath 1.0 Number literal with optional surrounding whitespace: what number() accepts. JavaScript's
// Number() also takes "1e3" and "0x10", which XForms does not, so those count as rejected.
const XPATH_NUMBER = /^[ \t\r\n]*-?([0-9]+(\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*$/;
const sameNumber = (given, stored) => XPATH_NUMBER.test(given) && Number(given) === Number(stored);

/**
 * Whether the engine took the value: it stores some values in canonical form (decimal "3" as "3.0",
 * int "07" as "7", select_multiple in choice order, geopoint "1 2" as "1.0 2.0"), which is not a
 * rejection; anything else it changed is.
 */
const accepted = (type, given, stored) => {
	if (given === stored) return true;
	if (stored === '' || given.trim() === '') return false;
	switch (type) {
		case 'int':
		case 'decimal':
			return sameNumber(given, stored);
		case 'select':
		case 'rank': {
			const a = new Set(tokens(given));
			const b = tokens(stored);
			return a.size === b.length && b.every((t) => a.has(t));
		}
		case 'geopoint':
		case 'geotrace':
		case 'geoshape': {
			const a = given.split(';').map(tokens);
			const b = stored.split(';').map(tokens);
			return a.length === b.length && a.every((p, i) => p.length === b[i].length && p.every((t, j) => sameNumber(t, b[i][j])));
		}
		default:
			return false;
	}
};

const ANSWERABLE = new Set(['input', 'range', 'select', 'rank', 'trigger', 'upload']);

/**
 * What the engine holds after an answer. A non-relevant node keeps the value it is given but reads as
 * "" until it is relevant again, so for those the value is canonicalised the way the engine does it:
 * a select keeps the choices that exist, in choice order; other types go through the node's codec.
 */
const storedValue = (node, value) => {
	if (node.currentState.relevant) return node.currentState.instanceValue;
	if (node.nodeType === 'select' || node.nodeType === 'rank') {
		const given = new Set(node.nodeType === 'select' && node.selectType === 'select1' ? [value] : tokens(value));
		const kept = node.currentState.valueOptions.map((o) => o.value).filter((v) => given.has(v));
		return node.nodeType === 'rank' ? tokens(value).filter((v) => kept.includes(v)).join(' ') : kept.join(' ');
	}
	if (node.nodeType === 'trigger' || node.nodeType === 'upload') return value;
	return node.decodeInstanceValue(value);
};

const setLeaf = (node, value) => {
	switch (node.nodeType) {
		case 'input':
		case 'range':
			node.setValue(value);
			return;
		case 'select':
			node.selectValues(node.selectType === 'select' ? tokens(value) : value === '' ? [] : [value]);
			return;
		case 'rank':
			node.setValues(tokens(value));
			return;
		case 'trigger':
			// An acknowledge question stores "OK" when acknowledged and "" otherwise.
			if (value !== '' && value !== 'OK') throw new AnswerError('invalid-value', 'an acknowledge takes "OK" or ""');
			node.setValue(value === 'OK');
			return;
		case 'upload':
			node.setValue(value === '' ? null : new File([''], value));
			return;
		default:
			throw new AnswerError(
				'not-settable',
				`a ${node.nodeType} node (${node.nodeType === 'model-value' ? 'calculate or hidden' : node.nodeType}) cannot be answered`
			);
	}
};

/**
 * Applies the answers in order. Returns one error per answer the engine did not take as given; the
 * engine's state after such an answer is left as the engine made it (often the value cleared).
 */
export const applyAnswers = (root, answers) => {
	const errors = [];
	for (const [index, [key, value]] of answers.entries()) {
		let path = key;
		try {
			let node;
			if (key.startsWith('/')) {
				node = findNodeByPath(root, key);
			} else {
				const found = findLeafByName(root, key);
				if (found == null) throw new AnswerError('unknown-key', `no leaf named "${key}"`);
				({ node, path } = found);
			}
			const type = typeOf(node);
			if (node.currentState.readonly && ANSWERABLE.has(node.nodeType)) {
				// The engine itself throws on writes to a read-only field; say so plainly.
				throw new AnswerError('readonly', `${path} is read-only now`);
			}
			setLeaf(node, value);
			const stored = storedValue(node, value);
			if (!accepted(type, value, stored)) {
				throw new AnswerError(
					'invalid-value',
					`${type} ${path} cannot take ${JSON.stringify(value)}: the engine stored ${JSON.stringify(stored)}`
				);
			}
		} catch (e) {
			const kind = e instanceof AnswerError ? e.kind : 'engine-error';
			errors.push({ index, key, value, path, kind, error: e.message });
		}
	}
	return errors;
};
