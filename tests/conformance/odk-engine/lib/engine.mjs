// Loads ODK's form engine (@getodk/xforms-engine) headless in Node.
//
// The engine is written for browsers: it parses XForms with the DOM (DOMParser, Node, XPathResult ...),
// so jsdom supplies those as globals. Its bundled tree-sitter loader reads `__dirname` when it detects
// Node, but gets its wasm from an inlined data: URL, so any defined value works.
import { readFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { JSDOM } from 'jsdom';

const DOM_GLOBALS = [
	'window', 'document', 'Node', 'Element', 'Document', 'Attr', 'Text', 'CharacterData',
	'DOMParser', 'XMLSerializer', 'XPathResult', 'XPathEvaluator', 'NodeFilter', 'NamedNodeMap',
];

const installDomGlobals = () => {
	const { window } = new JSDOM('');
	for (const name of DOM_GLOBALS) {
		if (globalThis[name] === undefined) {
			globalThis[name] = name === 'window' ? window : window[name];
		}
	}
	if (typeof globalThis.__dirname === 'undefined') {
		globalThis.__dirname = dirname(new URL(import.meta.url).pathname);
	}
};

installDomGlobals();

// Imported only after the globals exist: the engine checks `document instanceof Node` at load.
const engine = await import('@getodk/xforms-engine');

export const ENGINE_VERSION = JSON.parse(
	await readFile(new URL('../node_modules/@getodk/xforms-engine/package.json', import.meta.url), 'utf8')
).version;

const CONTENT_TYPES = { '.csv': 'text/csv', '.xml': 'text/xml', '.geojson': 'application/geo+json' };

// Form attachments (`jr://file/x.csv`, `jr://file-csv/x.csv`, ...) are read from the media folder
// (by default the form's own folder). A missing file answers 404, which the engine (with the BLANK
// behaviour below) turns into an empty secondary instance, so the form still loads, as Fieldline's does.
const attachmentFetcher = (mediaDir, missing) => async (url) => {
	const name = decodeURIComponent(basename(new URL(url.href ?? String(url)).pathname));
	const file = join(mediaDir, name);
	try {
		const data = await readFile(file, 'utf8');
		const ext = name.slice(name.lastIndexOf('.'));
		return new Response(data, { status: 200, headers: { 'content-type': CONTENT_TYPES[ext] ?? 'text/plain' } });
	} catch {
		missing.push(name);
		return new Response(null, { status: 404 });
	}
};

export class FormLoadError extends Error {}

/**
 * Parses and compiles an XForm once. The result can create any number of fresh instances; each
 * `newInstance()` disposes the previous one's reactive graph, so a batch of hundreds of sequences on
 * one form neither re-parses the XML nor keeps old instances alive.
 */
export const loadXForm = async (formPath, { mediaDir } = {}) => {
	let xml;
	try {
		xml = await readFile(formPath, 'utf8');
	} catch (e) {
		throw new FormLoadError(`${formPath}: cannot read form: ${e.message}`);
	}
	const missingAttachments = [];
	const form = await engine.loadForm(xml, {
		fetchFormDefinition: () => {
			throw new Error('forms are passed as XML text, never fetched');
		},
		fetchFormAttachment: attachmentFetcher(mediaDir ?? dirname(formPath), missingAttachments),
		missingResourceBehavior: engine.constants?.MISSING_RESOURCE_BEHAVIOR?.BLANK ?? 'BLANK',
	});
	if (form.status === 'failure') {
		throw new FormLoadError(`${formPath}: ODK's engine cannot load the form: ${describeError(form.error)}`);
	}
	let created = false;
	return {
		path: formPath,
		missingAttachments,
		warnings: form.warnings ?? null,
		newInstance() {
			// Every instance is created with the same fixed preload properties so that deviceid,
			// username etc. do not depend on the machine.
			const config = { preloadProperties: PRELOAD_PROPERTIES };
			const instance = created ? form.resetInstance(config) : form.createInstance(config);
			created = true;
			return instance.root;
		},
	};
};

const PRELOAD_PROPERTIES = { deviceID: 'fieldline-conformance', email: '', username: '', phoneNumber: '' };

export const describeError = (error) => {
	if (error == null) return 'unknown error';
	const causes = Array.isArray(error.causes) ? error.causes : error.cause ? [error.cause] : [];
	const inner = causes.map((c) => (c instanceof Error ? c.message : String(c))).filter((m) => m && m !== error.message);
	const own = error instanceof Error ? error.message : String(error);
	return inner.length > 0 ? `${own}: ${inner.join('; ')}` : own;
};
