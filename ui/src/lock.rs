//! The PIN screens: choosing a PIN for a profile without one, unlocking, and changing the PIN from
//! the home screen. PINs are typed on the numeric keypad and never shown; the shell checks them
//! (length, digits, whether one is right) and its message is shown as it is.

use fieldline_app_api::{command, AppError, ChangePin, LockStatus, PinEntry};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::app::AppContext;
use crate::ipc::invoke;

#[derive(Properties, PartialEq)]
pub struct LockScreenProps {
    /// Whether the profile has a PIN already (unlock) or needs one chosen.
    pub pin_chosen: bool,
    pub on_unlocked: Callback<LockStatus>,
}

/// What the enumerator sees until the app is unlocked.
#[function_component(LockScreen)]
pub fn lock_screen(p: &LockScreenProps) -> Html {
    let ctx = use_context::<AppContext>().expect("inside the app");
    let t = &ctx.texts;
    let first = use_node_ref();
    let repeat = use_node_ref();
    let checking = use_state(|| false);
    let failed = use_state(|| None::<String>);

    let on_submit = {
        let (first, repeat, checking, failed) = (
            first.clone(),
            repeat.clone(),
            checking.clone(),
            failed.clone(),
        );
        let (pin_chosen, on_unlocked, mismatch) =
            (p.pin_chosen, p.on_unlocked.clone(), t.t("lock-mismatch"));
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *checking {
                return;
            }
            let pin = value_of(&first);
            if !pin_chosen && pin != value_of(&repeat) {
                failed.set(Some(mismatch.clone()));
                return;
            }
            let (first, checking, failed, on_unlocked) = (
                first.clone(),
                checking.clone(),
                failed.clone(),
                on_unlocked.clone(),
            );
            checking.set(true);
            failed.set(None);
            let unlock_command = if pin_chosen {
                command::UNLOCK
            } else {
                command::CHOOSE_PIN
            };
            wasm_bindgen_futures::spawn_local(async move {
                let result: Result<LockStatus, AppError> =
                    invoke(unlock_command, &PinEntry { pin }).await;
                checking.set(false);
                match result {
                    Ok(status) => on_unlocked.emit(status),
                    Err(err) => {
                        // A wrong PIN is typed again from the start.
                        if let Some(input) = first.cast::<HtmlInputElement>() {
                            input.set_value("");
                            let _ = input.focus();
                        }
                        failed.set(Some(err.message));
                    }
                }
            });
        })
    };

    let feedback = html! {
        <>
            if *checking {
                <p id="pin-checking">{ t.t("lock-checking") }</p>
            }
            if let Some(message) = &*failed {
                <p class="error" id="pin-error" role="alert">{ message }</p>
            }
        </>
    };
    if p.pin_chosen {
        html! {
            <main id="lock-screen" class="lock-screen">
                <section class="card">
                    <h2 id="lock-title">{ t.t("lock-title") }</h2>
                    <p>{ t.t("lock-intro") }</p>
                    <form id="pin-unlock" onsubmit={on_submit}>
                        <label for="pin-unlock-input">{ t.t("lock-pin") }</label>
                        { pin_input("pin-unlock-input", "current-password", &first, true) }
                        <button id="pin-unlock-submit" type="submit" disabled={*checking}>{ t.t("lock-unlock") }</button>
                    </form>
                    { feedback }
                </section>
            </main>
        }
    } else {
        html! {
            <main id="lock-screen" class="lock-screen">
                <section class="card">
                    <h2 id="lock-title">{ t.t("lock-choose-title") }</h2>
                    <p>{ t.t("lock-choose-intro") }</p>
                    <form id="pin-choose" onsubmit={on_submit}>
                        <label for="pin-new">{ t.t("lock-new-pin") }</label>
                        <p class="hint">{ t.t("lock-pin-rules") }</p>
                        { pin_input("pin-new", "new-password", &first, true) }
                        <label for="pin-repeat">{ t.t("lock-repeat-pin") }</label>
                        { pin_input("pin-repeat", "new-password", &repeat, false) }
                        <button id="pin-choose-submit" type="submit" disabled={*checking}>{ t.t("lock-choose-submit") }</button>
                    </form>
                    { feedback }
                </section>
            </main>
        }
    }
}

/// A PIN field: hidden as typed, with the numeric keypad on a tablet.
fn pin_input(id: &'static str, autocomplete: &'static str, node: &NodeRef, focus: bool) -> Html {
    html! {
        <input id={id} type="password" inputmode="numeric" pattern="[0-9]*" maxlength="16"
            autocomplete={autocomplete} autofocus={focus} ref={node.clone()} />
    }
}

fn value_of(node: &NodeRef) -> String {
    node.cast::<HtmlInputElement>()
        .map(|input| input.value())
        .unwrap_or_default()
}

/// The home screen's card for changing the PIN: the current one, then the new one twice.
#[function_component(ChangePinCard)]
pub fn change_pin_card() -> Html {
    let ctx = use_context::<AppContext>().expect("inside the app");
    let t = &ctx.texts;
    let old = use_node_ref();
    let new = use_node_ref();
    let repeat = use_node_ref();
    let changing = use_state(|| false);
    let outcome = use_state(|| None::<Result<(), String>>);

    let on_submit = {
        let (old, new, repeat, changing, outcome) = (
            old.clone(),
            new.clone(),
            repeat.clone(),
            changing.clone(),
            outcome.clone(),
        );
        let mismatch = t.t("lock-mismatch");
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *changing {
                return;
            }
            let args = ChangePin {
                old_pin: value_of(&old),
                new_pin: value_of(&new),
            };
            if args.new_pin != value_of(&repeat) {
                outcome.set(Some(Err(mismatch.clone())));
                return;
            }
            let fields = [old.clone(), new.clone(), repeat.clone()];
            let (changing, outcome) = (changing.clone(), outcome.clone());
            changing.set(true);
            outcome.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let result: Result<(), AppError> = invoke(command::CHANGE_PIN, &args).await;
                changing.set(false);
                // PINs are not left on screen, whether they worked or not.
                for field in &fields {
                    if let Some(input) = field.cast::<HtmlInputElement>() {
                        input.set_value("");
                    }
                }
                outcome.set(Some(result.map_err(|err| err.message)));
            });
        })
    };

    html! {
        <section class="card" id="change-pin">
            <h2>{ t.t("pin-change-title") }</h2>
            <form onsubmit={on_submit}>
                <label for="pin-old">{ t.t("pin-change-old") }</label>
                { pin_input("pin-old", "current-password", &old, false) }
                <label for="pin-change-new">{ t.t("lock-new-pin") }</label>
                <p class="hint">{ t.t("lock-pin-rules") }</p>
                { pin_input("pin-change-new", "new-password", &new, false) }
                <label for="pin-change-repeat">{ t.t("lock-repeat-pin") }</label>
                { pin_input("pin-change-repeat", "new-password", &repeat, false) }
                <button id="pin-change-submit" type="submit" disabled={*changing}>{ t.t("pin-change-submit") }</button>
            </form>
            { match &*outcome {
                None => html! {},
                Some(Ok(())) => html! { <p class="ok" id="pin-changed">{ t.t("pin-changed") }</p> },
                Some(Err(message)) => html! { <p class="error" id="pin-change-error">{ message }</p> },
            } }
        </section>
    }
}
