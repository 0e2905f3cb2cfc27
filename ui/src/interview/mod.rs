//! The interview: the draft replayed by the form engine in the page, one screen at a time.
//!
//! Every answer is applied here first, so relevance, calculations and messages change at once,
//! and then sent to the device store, which applies it with the same engine and saves it in its
//! own transaction. Saves go one at a time, in order; if the store ever refuses what the page
//! took, the page replays the store's log again, so the screen never shows an answer that is
//! not saved.

mod location;
mod render;
mod widgets;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use fieldline_app_api::{
    attach_header, command, Action, AppError, AttachedFile, DraftFile, DraftRef, DraftView,
    Finalize, Finalized, FormMedia, Record, SetPosition,
};
use fieldline_form::instance::{Instance, Plan};
use fieldline_form::Form;
use fieldline_interview::{apply, find_node, screens, Screen};
use yew::prelude::*;

use crate::app::{AppContext, Route};
use crate::ipc::{blob_url, invoke, invoke_bytes, invoke_with_bytes, read_file};

/// Where the enumerator is: a screen's key, or the end of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Place {
    Screen(String),
    End,
}

/// The key the store remembers for the end screen.
pub(crate) use fieldline_interview::END_SCREEN_KEY as END_KEY;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub instance_id: String,
}

pub enum Msg {
    Loaded(Box<Result<DraftView, AppError>>),
    /// One of the form's media files, ready to show or play: its name and `blob:` URL.
    MediaReady(String, String),
    /// A value typed but not committed: checked and shown, not saved yet.
    Input {
        path: String,
        value: String,
    },
    /// A value given: checked, shown and saved.
    Answer {
        path: String,
        value: String,
    },
    AddRepeat(String),
    RemoveRepeat(String),
    Saved(Result<String, AppError>),
    /// A photo, recording or file was chosen for the question at the path.
    Capture(String, web_sys::File),
    /// Its bytes, read: the question's path, the file's name, the bytes.
    Queue(String, String, Vec<u8>),
    /// Why an answer to the question at the path could not be taken.
    Refused(String, String),
    /// The store kept (or refused) a file for the question at the path; its bytes.
    Attached(String, Box<Result<AttachedFile, AppError>>, Vec<u8>),
    Next,
    Previous,
    Jump(String),
    ShowOverview(bool),
    SetLanguage(String),
    Finalize,
    FinalizeDone(Result<Finalized, AppError>),
    Leave(Route),
}

/// A loaded draft.
pub(crate) struct Draft {
    pub title: String,
    pub instance: Instance,
    pub screens: Vec<Screen>,
    pub place: Place,
    /// Show required-and-empty as a problem (after an attempt to finalize).
    pub strict: bool,
    /// Why the engine refused an answer, by leaf path.
    pub refused: HashMap<String, String>,
    /// Text being typed and not yet given, by leaf path.
    pub typing: HashMap<String, String>,
    pub overview: bool,
    pub blocked: Option<(String, String)>,
    /// The form's media files on this device, by file name, as URLs the webview can show.
    pub media: HashMap<String, String>,
}

/// Something waiting for the store, in the order it was done.
enum Pending {
    /// Already applied here.
    Record(Action),
    /// A photo, recording or file for the question at `path`; applied here once the store has
    /// kept it and named it.
    Attach {
        path: String,
        file_name: String,
        bytes: Vec<u8>,
    },
}

pub struct Interview {
    draft: Option<Draft>,
    error: Option<String>,
    /// What was done here and is not yet confirmed saved by the store, oldest first; the first
    /// is on its way.
    unsaved: VecDeque<Pending>,
    finalize_when_saved: bool,
    finalized: Option<i64>,
}

impl Component for Interview {
    type Message = Msg;
    type Properties = Props;

    fn create(ctx: &Context<Self>) -> Self {
        load(ctx);
        Self {
            draft: None,
            error: None,
            unsaved: VecDeque::new(),
            finalize_when_saved: false,
            finalized: None,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Loaded(loaded) => match *loaded {
                Ok(view) => match replay(&view) {
                    Ok(draft) => {
                        load_media(ctx, &view);
                        load_answer_files(ctx, &view, &draft.instance);
                        self.draft = Some(draft);
                        self.error = None;
                    }
                    Err(err) => self.error = Some(err),
                },
                Err(err) => self.error = Some(err.message),
            },
            Msg::MediaReady(name, url) => {
                if let Some(d) = &mut self.draft {
                    d.media.insert(name, url);
                }
            }
            Msg::Input { path, value } => {
                // Relevance follows the typing; a half-typed value the engine cannot take yet
                // (a lone "-") is only judged when the field is left.
                if let Some(d) = &mut self.draft {
                    d.typing.insert(path.clone(), value.clone());
                    let refused = d.refused.contains_key(&path);
                    if take_locally(
                        d,
                        &Action::Set {
                            path: path.clone(),
                            value,
                        },
                    )
                    .is_none()
                        && !refused
                    {
                        d.refused.remove(&path);
                    }
                }
            }
            Msg::Answer { path, value } => {
                if let Some(d) = &mut self.draft {
                    d.typing.remove(&path);
                }
                self.act(ctx, Action::Set { path, value });
            }
            Msg::AddRepeat(path) => {
                // Take the enumerator to the new member's first question.
                if let Some(added) = self.act(ctx, Action::AddRepeat { path }) {
                    let first = self.draft.as_ref().and_then(|d| {
                        d.screens
                            .iter()
                            .find(|s| s.key == added || s.key.starts_with(&format!("{added}/")))
                            .map(|s| s.key.clone())
                    });
                    if let Some(key) = first {
                        self.go(ctx, Place::Screen(key));
                    }
                }
            }
            Msg::RemoveRepeat(path) => {
                self.act(ctx, Action::RemoveRepeat { path });
            }
            Msg::Saved(Ok(_)) => {
                self.unsaved.pop_front();
                self.send_next(ctx);
            }
            Msg::Saved(Err(err)) => {
                // The page and the store disagree: believe the store.
                self.unsaved.clear();
                self.finalize_when_saved = false;
                self.error = Some(err.message);
                load(ctx);
            }
            Msg::Capture(path, file) => {
                ctx.link().send_future(async move {
                    match read_file(&file).await {
                        Ok(bytes) => Msg::Queue(path, file.name(), bytes),
                        Err(err) => Msg::Refused(path, err.message),
                    }
                });
            }
            Msg::Queue(path, file_name, bytes) => {
                self.queue(
                    ctx,
                    Pending::Attach {
                        path,
                        file_name,
                        bytes,
                    },
                );
            }
            Msg::Refused(path, message) => {
                if let Some(d) = &mut self.draft {
                    d.refused.insert(path, message);
                }
            }
            Msg::Attached(path, kept, bytes) => {
                if let Some(d) = &mut self.draft {
                    match *kept {
                        Ok(kept) => {
                            // The store has saved the answer with the file: the page follows.
                            take_locally(
                                d,
                                &Action::Set {
                                    path: kept.path.clone(),
                                    value: kept.name.clone(),
                                },
                            );
                            if let Some(url) = blob_url(&bytes, &kept.media_type) {
                                d.media.insert(kept.name, url);
                            }
                        }
                        // Nothing was saved; say why next to the question.
                        Err(err) => {
                            d.refused.insert(path, err.message);
                        }
                    }
                }
                self.unsaved.pop_front();
                self.send_next(ctx);
            }
            Msg::Next => self.step(ctx, 1),
            Msg::Previous => self.step(ctx, -1),
            Msg::Jump(key) => {
                // A repeat instance's path jumps to its first screen.
                let place = match &self.draft {
                    _ if key == END_KEY => Place::End,
                    Some(d) => d
                        .screens
                        .iter()
                        .find(|s| s.key == key || s.key.starts_with(&format!("{key}/")))
                        .map_or(Place::End, |s| Place::Screen(s.key.clone())),
                    None => return false,
                };
                if let Some(d) = &mut self.draft {
                    d.overview = false;
                }
                self.go(ctx, place);
            }
            Msg::ShowOverview(show) => {
                if let Some(d) = &mut self.draft {
                    d.overview = show;
                }
            }
            Msg::SetLanguage(language) => {
                if let Some(d) = &mut self.draft {
                    d.instance.set_language(&language);
                }
            }
            Msg::Finalize => self.finalize(ctx),
            Msg::FinalizeDone(Ok(Finalized::Finalized { device_seq, .. })) => {
                self.finalized = Some(device_seq);
            }
            Msg::FinalizeDone(Ok(Finalized::Blocked { path, message })) => {
                self.show_problem(ctx, path, message);
            }
            Msg::FinalizeDone(Err(err)) => self.error = Some(err.message),
            Msg::Leave(route) => {
                let args = DraftRef {
                    instance_id: ctx.props().instance_id.clone(),
                };
                if self.finalized.is_none() {
                    wasm_bindgen_futures::spawn_local(async move {
                        // Leaving is noted for the form's audit log; the draft itself is safe.
                        let _: Result<(), AppError> = invoke(command::LEAVE_DRAFT, &args).await;
                    });
                }
                if let Some(app) = ctx.link().context::<AppContext>(Callback::noop()) {
                    app.0.go.emit(route);
                }
            }
        }
        true
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        // The form's pictures and sounds stay in memory until their URLs are let go.
        for url in self.draft.iter().flat_map(|d| d.media.values()) {
            // A URL the webview already dropped needs nothing more.
            let _ = web_sys::Url::revoke_object_url(url);
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let (app, _) = ctx
            .link()
            .context::<AppContext>(Callback::noop())
            .expect("inside the app");
        render::page(
            ctx.link(),
            &app.texts,
            self.draft.as_ref(),
            self.error.as_deref(),
            !self.unsaved.is_empty(),
            self.finalized,
        )
    }
}

impl Interview {
    /// Applies an action here and queues it for the store; returns the path the engine
    /// resolved, `None` when it refused the action.
    fn act(&mut self, ctx: &Context<Self>, action: Action) -> Option<String> {
        let d = self.draft.as_mut()?;
        let taken = take_locally(d, &action)?;
        self.queue(ctx, Pending::Record(action));
        Some(taken)
    }

    fn queue(&mut self, ctx: &Context<Self>, pending: Pending) {
        self.unsaved.push_back(pending);
        if self.unsaved.len() == 1 {
            self.send_next(ctx);
        }
    }

    /// Sends the oldest unsaved action, or finalizes once everything is saved.
    fn send_next(&mut self, ctx: &Context<Self>) {
        let instance_id = ctx.props().instance_id.clone();
        match self.unsaved.front() {
            None => {
                if std::mem::take(&mut self.finalize_when_saved) {
                    self.finalize(ctx);
                }
            }
            Some(Pending::Record(action)) => {
                let args = Record {
                    instance_id,
                    action: action.clone(),
                };
                ctx.link()
                    .send_future(async move { Msg::Saved(invoke(command::RECORD, &args).await) });
            }
            Some(Pending::Attach {
                path,
                file_name,
                bytes,
            }) => {
                let (path, file_name, bytes) = (path.clone(), file_name.clone(), bytes.clone());
                ctx.link().send_future(async move {
                    let kept = invoke_with_bytes(
                        command::ATTACH_FILE,
                        &bytes,
                        &[
                            (attach_header::INSTANCE_ID, &instance_id),
                            (attach_header::PATH, &path),
                            (attach_header::FILE_NAME, &file_name),
                        ],
                    )
                    .await;
                    Msg::Attached(path, Box::new(kept), bytes)
                });
            }
        }
    }

    fn step(&mut self, ctx: &Context<Self>, by: isize) {
        let Some(d) = &self.draft else { return };
        let index = current_index(d);
        let target = index as isize + by;
        let place = if target < 0 {
            return;
        } else if target as usize >= d.screens.len() {
            Place::End
        } else {
            Place::Screen(d.screens[target as usize].key.clone())
        };
        self.go(ctx, place);
    }

    fn go(&mut self, ctx: &Context<Self>, place: Place) {
        let Some(d) = &mut self.draft else { return };
        if d.place == place {
            return;
        }
        d.place = place;
        let position = match &d.place {
            Place::Screen(key) => key.clone(),
            Place::End => END_KEY.to_owned(),
        };
        let args = SetPosition {
            instance_id: ctx.props().instance_id.clone(),
            position,
        };
        wasm_bindgen_futures::spawn_local(async move {
            // Where the enumerator is only matters for resuming; a failure here loses no answer.
            let _: Result<(), AppError> = invoke(command::SET_POSITION, &args).await;
        });
    }

    fn finalize(&mut self, ctx: &Context<Self>) {
        let Some(d) = &mut self.draft else { return };
        d.strict = true;
        let language = d.instance.language().to_owned();
        // The page runs the same engine as the store: show the problem without a round trip.
        if let Some(problem) = d.instance.first_problem(None) {
            self.show_problem(ctx, problem.path, problem.message);
            return;
        }
        if !self.unsaved.is_empty() {
            self.finalize_when_saved = true;
            return;
        }
        let args = Finalize {
            instance_id: ctx.props().instance_id.clone(),
            language: Some(language),
        };
        ctx.link()
            .send_future(async move { Msg::FinalizeDone(invoke(command::FINALIZE, &args).await) });
    }

    /// Takes the enumerator to the screen of the question at `path` and shows why.
    fn show_problem(&mut self, ctx: &Context<Self>, path: String, message: String) {
        let Some(d) = &mut self.draft else { return };
        d.strict = true;
        d.overview = false;
        let screen = d
            .screens
            .iter()
            .find(|s| {
                s.questions()
                    .into_iter()
                    .any(|q| d.instance.path(q) == path)
            })
            .map(|s| s.key.clone());
        d.blocked = Some((path, message));
        if let Some(key) = screen {
            self.go(ctx, Place::Screen(key));
        }
    }
}

fn load(ctx: &Context<Interview>) {
    let args = DraftRef {
        instance_id: ctx.props().instance_id.clone(),
    };
    ctx.link().send_future(async move {
        Msg::Loaded(Box::new(invoke(command::OPEN_DRAFT, &args).await))
    });
}

/// Fetches the form's media files from the store and makes `blob:` URLs of them. A file that
/// cannot be read is simply not shown; the question still works.
fn load_media(ctx: &Context<Interview>, view: &DraftView) {
    for file in &view.media {
        let args = FormMedia {
            form_id: view.facts.form_id.clone(),
            version: view.facts.form_version.clone(),
            name: file.name.clone(),
        };
        let media_type = file.media_type.clone();
        ctx.link().send_future_batch(async move {
            let bytes = invoke_bytes(command::FORM_MEDIA, &args).await;
            match bytes.ok().and_then(|b| blob_url(&b, &media_type)) {
                Some(url) => vec![Msg::MediaReady(args.name, url)],
                None => Vec::new(),
            }
        });
    }
}

/// Fetches the files that are answers in this draft now, for their previews.
fn load_answer_files(ctx: &Context<Interview>, view: &DraftView, instance: &Instance) {
    let answers: std::collections::HashSet<String> =
        instance.submission().into_iter().map(|v| v.value).collect();
    for file in view.files.iter().filter(|f| answers.contains(&f.name)) {
        let args = DraftFile {
            instance_id: view.facts.instance_id.clone(),
            name: file.name.clone(),
        };
        let media_type = file.media_type.clone();
        ctx.link().send_future_batch(async move {
            let bytes = invoke_bytes(command::DRAFT_FILE, &args).await;
            match bytes.ok().and_then(|b| blob_url(&b, &media_type)) {
                Some(url) => vec![Msg::MediaReady(args.name, url)],
                None => Vec::new(),
            }
        });
    }
}

/// Builds the page's instance from the store's log.
fn replay(view: &DraftView) -> Result<Draft, String> {
    let form: Form = serde_json::from_str(&view.definition).map_err(|e| {
        format!("The form of this interview cannot be read ({e}); import it again.")
    })?;
    let plan = Arc::new(Plan::new(Arc::new(form)));
    let mut instance = Instance::from_plan(plan, view.facts.environment());
    for action in &view.actions {
        apply(&mut instance, action).map_err(|e| {
            format!("This interview cannot be shown: a saved answer no longer fits its form ({e}).")
        })?;
    }
    let screens = screens(&instance);
    let place = match view.position.as_deref() {
        Some(END_KEY) => Place::End,
        Some(key) if screens.iter().any(|s| s.key == key) => Place::Screen(key.to_owned()),
        _ => screens
            .first()
            .map_or(Place::End, |s| Place::Screen(s.key.clone())),
    };
    Ok(Draft {
        title: view.title.clone(),
        instance,
        screens,
        place,
        strict: false,
        refused: HashMap::new(),
        typing: HashMap::new(),
        overview: false,
        blocked: None,
        media: HashMap::new(),
    })
}

/// Applies an action to the page's instance; `None` (with the reason kept for the field) when
/// the engine refuses it.
fn take_locally(d: &mut Draft, action: &Action) -> Option<String> {
    let taken = match apply(&mut d.instance, action) {
        Ok(path) => {
            d.refused.remove(action.path());
            Some(path)
        }
        Err(err) => {
            d.refused.insert(action.path().to_owned(), err.to_string());
            None
        }
    };
    if let Some((path, _)) = &d.blocked {
        if find_node(&d.instance, path).is_none_or(|n| d.instance.message(n, None).is_none()) {
            d.blocked = None;
        }
    }
    let before = current_index(d);
    d.screens = screens(&d.instance);
    // The screen may have gone (a removed member, a question no longer relevant): stay near it.
    if let Place::Screen(key) = &d.place {
        if !d.screens.iter().any(|s| &s.key == key) {
            d.place = d
                .screens
                .get(before.min(d.screens.len().saturating_sub(1)))
                .map_or(Place::End, |s| Place::Screen(s.key.clone()));
        }
    }
    taken
}

/// The index of the current screen; the end counts as one past the last.
pub(crate) fn current_index(d: &Draft) -> usize {
    match &d.place {
        Place::Screen(key) => d
            .screens
            .iter()
            .position(|s| &s.key == key)
            .unwrap_or(d.screens.len()),
        Place::End => d.screens.len(),
    }
}
