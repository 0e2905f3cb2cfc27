//! The field app's UI. It runs in the Tauri webview and reaches the device only through the shell's
//! commands (see `ipc`); the form engine runs here too (see `interview`), so relevance and
//! messages follow every answer at once.

mod app;
mod drafts;
mod home;
mod i18n;
mod interview;
mod ipc;
mod lock;
mod outbox;
mod time;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
