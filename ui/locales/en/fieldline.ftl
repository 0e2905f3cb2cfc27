## Fieldline's own words (not the form's): English.
## Every message here must also be in ../hi/fieldline.ftl; `cargo test -p fieldline-ui` checks it.

app-title = Fieldline

## Navigation

nav-home = Home
nav-drafts = Drafts
nav-outbox = Outbox
nav-back = Back

app-language = App language

## Home screen

home-forms = Forms
home-no-forms = No forms on this device yet.
home-import = Import a form (XLSForm)
home-import-choose = Choose the form (.xlsx or .xls) and its pictures and sounds
home-imported = Imported “{ $title }”.
home-media-missing = { $count ->
    [one] One picture or sound the form uses is not on this device: { $files }. Import it with the form.
   *[other] { $count } pictures or sounds the form uses are not on this device: { $files }. Import them with the form.
}
home-media-ignored = Left out { $files }: the form does not use them.
home-start = Start interview
home-counts = Drafts { $drafts } · Finalized { $finalized } · Not sent { $not_sent }

home-device = This device
home-device-id = Device
home-enumerator = Enumerator
home-server = Server
home-not-set = not set
home-no-server = none yet
home-opening = Opening this device's profile…

home-name-title = Enumerator
home-name-label = Your name, as it should appear on your interviews
home-name-save = Save name
home-name-saved = Saved as { $name }

## Interview

interview-next = Next
interview-previous = Previous
interview-overview = All questions
interview-form-language = Form language
interview-required = Required
interview-progress = Question { $current } of { $total }
interview-saving = Saving…
interview-saved = Saved
interview-end-title = End of the form
interview-end-body = Check the answers, then finalize. Once finalized, an interview can no longer be changed.
interview-finalize = Finalize
interview-go-to-problem = Go to the question

## Repeated groups ($label is the group's label from the form, $position counts from 1)

repeat-count =
    { $count ->
        [one] { $count } added
       *[other] { $count } added
    }
repeat-add = Add { $label }
repeat-remove = Remove this { $label }
repeat-remove-confirm = Remove { $label } { $position } and all its answers?
repeat-item = { $label } { $position }
repeat-done = Done adding

## Questions

select-none-offered = No choices are available for the answers given so far.
select-clear = Clear answer
date-pick = Pick a date
date-day = Day
date-month = Month
date-year = Year
number-placeholder = Type a number
geo-use-device = Use this device’s location
geo-latitude = Latitude
geo-longitude = Longitude
geo-locating = Finding this device’s location…
geo-denied = This device does not allow Fieldline to read its location. Type the latitude and longitude instead.
geo-unavailable = This device’s location could not be found. Type the latitude and longitude instead.
geo-invalid = Latitude runs from -90 to 90 and longitude from -180 to 180, in decimal degrees (for example 26.45 and 87.27).
media-audio = Play the question
media-image = Picture for the question
capture-unavailable = Map features (OSM) cannot be edited in Fieldline; this question stays empty.
file-take-photo = Take a photo
file-record-audio = Record audio
file-record-video = Record a video
file-choose-file = Choose a file
file-remove = Remove this answer

## All questions at a glance

overview-title = All questions
overview-answered = Answered
overview-unanswered = Not answered
overview-invalid = Needs attention
overview-jump = Go

## Review and finalize

review-title = Review and finalize
review-ready = Every required question is answered.
review-blocked = One question still needs attention:
finalized-title = Interview finalized
finalized-body = It is in the outbox and will be sent when this device syncs.

## Drafts ($when is a date or time already written out for the reader)

drafts-title = Drafts
drafts-none = No interviews in progress.
drafts-resume = Resume
drafts-discard = Discard
drafts-discard-confirm = Discard this interview and all its answers? This cannot be undone.
drafts-discard-yes = Yes, discard
drafts-discard-no = Keep it
drafts-started = Started { $when }
drafts-answers =
    { $count ->
        [one] { $count } answer
       *[other] { $count } answers
    }

## Outbox

outbox-title = Outbox
outbox-none = Nothing finalized yet.
outbox-queued = Waiting to be sent
outbox-sent = Sent
outbox-rejected = Rejected by the server
outbox-conflict = Held back by the server: it already has a different version of this interview
outbox-reason = Reason: { $reason }
outbox-seq = No. { $seq }

error-title = Something went wrong

## Joining a campaign and syncing

enroll-title = Join a campaign
enroll-server = Campaign server address
enroll-code = Enrollment code from your coordinator
enroll-submit = Join
enroll-campaign = Campaign
enroll-joined = Collecting for { $campaign } with { $organization }.
sync-title = Sending to the campaign
sync-now = Sync now
sync-phase-not-enrolled = This device has not joined a campaign yet: join one on the home screen.
sync-phase-probing = Looking for the campaign server…
sync-phase-syncing = Sending…
sync-phase-idle = Up to date with the server.
sync-phase-waiting = The server cannot be reached now; Fieldline will try again by itself.
sync-progress = { $done } of { $total } sent · { $kb } KB
sync-last = Last sent { $when }
sync-error = Last problem: { $reason }

## PIN lock

lock-choose-title = Choose a PIN
lock-choose-intro = This PIN protects the interviews on this device: type it each time you open Fieldline. Keep it to yourself and do not forget it: without it the data on this device cannot be opened.
lock-pin-rules = 6 to 16 digits.
lock-new-pin = New PIN
lock-repeat-pin = The new PIN again
lock-choose-submit = Set the PIN
lock-mismatch = The two PINs are not the same. Type the same PIN twice.
lock-title = Fieldline is locked
lock-intro = Type your PIN to open the interviews on this device.
lock-pin = PIN
lock-unlock = Unlock
lock-checking = Checking the PIN…
lock-now = Lock
pin-change-title = Change the PIN
pin-change-old = Current PIN
pin-change-submit = Change the PIN
pin-changed = The PIN is changed. Use the new one from now on.
