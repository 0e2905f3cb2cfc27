//! The field app's UI. It runs in the Tauri webview and reaches the device only through the shell's
//! commands (see `ipc`).

mod home;
mod ipc;

fn main() {
    yew::Renderer::<home::Home>::new().render();
}
