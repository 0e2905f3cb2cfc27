// Loads the wasm dashboard. A file rather than an inline script, so the CSP can forbid inline
// scripts altogether.
import init from "/assets/fieldline_dashboard.js";
await init({ module_or_path: "/assets/fieldline_dashboard_bg.wasm" });
