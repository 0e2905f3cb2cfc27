// Loads the wasm UI. A separate file rather than an inline script, so the app's CSP can forbid inline
// scripts altogether.
import init from "./fieldline_ui.js";
await init({ module_or_path: "./fieldline_ui_bg.wasm" });
