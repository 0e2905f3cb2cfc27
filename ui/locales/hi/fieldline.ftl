## Fieldline's own words (not the form's): Hindi.
## Same message ids and variables as ../en/fieldline.ftl; `cargo test -p fieldline-ui` checks it.
## In Hindi the plural category "one" covers both 0 and 1, so counts name 0 on its own.

app-title = Fieldline

## Navigation

nav-home = होम
nav-drafts = ड्राफ़्ट
nav-outbox = आउटबॉक्स
nav-back = वापस

app-language = ऐप की भाषा

## Home screen

home-forms = फ़ॉर्म
home-no-forms = इस डिवाइस पर अभी कोई फ़ॉर्म नहीं है।
home-import = फ़ॉर्म जोड़ें (XLSForm)
home-import-choose = फ़ॉर्म (.xlsx या .xls) और उसकी तस्वीरें व आवाज़ें चुनें
home-imported = “{ $title }” जोड़ दिया गया।
home-media-missing = { $count ->
    [one] फ़ॉर्म में इस्तेमाल एक तस्वीर या आवाज़ इस डिवाइस पर नहीं है: { $files }। उसे फ़ॉर्म के साथ जोड़ें।
   *[other] फ़ॉर्म में इस्तेमाल { $count } तस्वीरें या आवाज़ें इस डिवाइस पर नहीं हैं: { $files }। उन्हें फ़ॉर्म के साथ जोड़ें।
}
home-media-ignored = { $files } छोड़ दी गईं: फ़ॉर्म इनका इस्तेमाल नहीं करता।
home-start = साक्षात्कार शुरू करें
home-counts = ड्राफ़्ट { $drafts } · फ़ाइनल { $finalized } · भेजना बाकी { $not_sent }

home-device = यह डिवाइस
home-device-id = डिवाइस
home-enumerator = सर्वेक्षक
home-server = सर्वर
home-not-set = अभी तय नहीं
home-no-server = अभी कोई नहीं
home-opening = इस डिवाइस की प्रोफ़ाइल खुल रही है…

home-name-title = सर्वेक्षक
home-name-label = आपका नाम, जैसा आपके साक्षात्कारों पर दिखना चाहिए
home-name-save = नाम सहेजें
home-name-saved = { $name } नाम से सहेजा गया

## Interview

interview-next = आगे
interview-previous = पीछे
interview-overview = सभी सवाल
interview-form-language = फ़ॉर्म की भाषा
interview-required = ज़रूरी
interview-progress = { $total } में से सवाल { $current }
interview-saving = सहेजा जा रहा है…
interview-saved = सहेजा गया
interview-end-title = फ़ॉर्म यहाँ पूरा होता है
interview-end-body = जवाब जाँच लें, फिर फ़ाइनल करें। फ़ाइनल करने के बाद साक्षात्कार में कोई बदलाव नहीं किया जा सकता।
interview-finalize = फ़ाइनल करें
interview-go-to-problem = उस सवाल पर जाएँ

## Repeated groups ($label is the group's label from the form, $position counts from 1)

repeat-count =
    { $count ->
        [0] अभी कोई नहीं जोड़ा गया
        [one] { $count } जोड़ा गया
       *[other] { $count } जोड़े गए
    }
repeat-add = { $label } जोड़ें
repeat-remove = यह { $label } हटाएँ
repeat-remove-confirm = { $label } { $position } और उसके सभी जवाब हटा दें?
repeat-item = { $label } { $position }
repeat-done = जोड़ना पूरा करें

## Questions

select-none-offered = अब तक दिए गए जवाबों के हिसाब से कोई विकल्प नहीं है।
select-clear = जवाब मिटाएँ
date-pick = तारीख चुनें
date-day = दिन
date-month = महीना
date-year = साल
number-placeholder = संख्या लिखें
geo-use-device = इस डिवाइस की लोकेशन लें
geo-latitude = अक्षांश
geo-longitude = देशांतर
geo-locating = इस डिवाइस की लोकेशन ढूँढी जा रही है…
geo-denied = यह डिवाइस Fieldline को लोकेशन पढ़ने नहीं देता। अक्षांश और देशांतर टाइप करें।
geo-unavailable = इस डिवाइस की लोकेशन नहीं मिल सकी। अक्षांश और देशांतर टाइप करें।
geo-invalid = अक्षांश -90 से 90 और देशांतर -180 से 180 के बीच, दशमलव डिग्री में होता है (जैसे 26.45 और 87.27)।
media-audio = सवाल सुनें
media-image = सवाल की तस्वीर
capture-unavailable = नक्शे की चीज़ें (OSM) Fieldline में नहीं बदली जा सकतीं; यह सवाल खाली रहेगा।
file-take-photo = फ़ोटो लें
file-record-audio = आवाज़ रिकॉर्ड करें
file-record-video = वीडियो रिकॉर्ड करें
file-choose-file = फ़ाइल चुनें
file-remove = यह जवाब हटाएँ

## All questions at a glance

overview-title = सभी सवाल
overview-answered = जवाब दिया
overview-unanswered = जवाब नहीं दिया
overview-invalid = ध्यान दें
overview-jump = जाएँ

## Review and finalize

review-title = जाँचें और फ़ाइनल करें
review-ready = सभी ज़रूरी सवालों के जवाब दे दिए गए हैं।
review-blocked = एक सवाल पर अभी ध्यान देना बाकी है:
finalized-title = साक्षात्कार फ़ाइनल हो गया
finalized-body = यह आउटबॉक्स में है। डिवाइस के सिंक होने पर यह भेज दिया जाएगा।

## Drafts ($when is a date or time already written out for the reader)

drafts-title = अधूरे साक्षात्कार
drafts-none = कोई अधूरा साक्षात्कार नहीं है।
drafts-resume = जारी रखें
drafts-discard = हटाएँ
drafts-discard-confirm = यह साक्षात्कार और इसके सभी जवाब हटा दें? हटाने के बाद इन्हें वापस नहीं लाया जा सकेगा।
drafts-discard-yes = हाँ, हटा दें
drafts-discard-no = रहने दें
drafts-started = शुरू किया: { $when }
drafts-answers =
    { $count ->
        [0] अभी कोई जवाब नहीं
       *[other] { $count } जवाब
    }

## Outbox

outbox-title = आउटबॉक्स
outbox-none = अभी तक कुछ भी फ़ाइनल नहीं हुआ है।
outbox-queued = भेजे जाने का इंतज़ार
outbox-sent = भेज दिया गया
outbox-rejected = सर्वर ने अस्वीकार किया
outbox-conflict = सर्वर ने रोक रखा है: उसके पास इस साक्षात्कार का दूसरा संस्करण पहले से है
outbox-reason = कारण: { $reason }
outbox-seq = क्रमांक { $seq }

error-title = कुछ गड़बड़ हो गई

## Joining a campaign and syncing

enroll-title = किसी अभियान से जुड़ें
enroll-server = अभियान सर्वर का पता
enroll-code = समन्वयक से मिला नामांकन कोड
enroll-submit = जुड़ें
enroll-campaign = अभियान
enroll-joined = { $organization } के साथ { $campaign } के लिए डेटा जुटा रहे हैं।
sync-title = अभियान को भेजना
sync-now = अभी भेजें
sync-phase-not-enrolled = यह डिवाइस अभी किसी अभियान से नहीं जुड़ा है: होम स्क्रीन पर जुड़ें।
sync-phase-probing = अभियान सर्वर ढूँढा जा रहा है…
sync-phase-syncing = भेजा जा रहा है…
sync-phase-idle = सर्वर के साथ सब भेज दिया गया है।
sync-phase-waiting = अभी सर्वर तक नहीं पहुँच पा रहे; Fieldline अपने आप फिर कोशिश करेगा।
sync-progress = { $total } में से { $done } भेजे गए · { $kb } KB
sync-last = पिछली बार भेजा: { $when }
sync-error = पिछली समस्या: { $reason }

## पिन लॉक

lock-choose-title = पिन चुनें
lock-choose-intro = यह पिन इस डिवाइस पर इंटरव्यू को सुरक्षित रखता है: हर बार Fieldline खोलते समय इसे टाइप करें। इसे किसी को न बताएँ और भूलें नहीं: इसके बिना इस डिवाइस का डेटा नहीं खुल सकता।
lock-pin-rules = 6 से 16 अंक।
lock-new-pin = नया पिन
lock-repeat-pin = नया पिन फिर से
lock-choose-submit = पिन सेट करें
lock-mismatch = दोनों पिन एक जैसे नहीं हैं। एक ही पिन दो बार टाइप करें।
lock-title = Fieldline लॉक है
lock-intro = इस डिवाइस के इंटरव्यू खोलने के लिए अपना पिन टाइप करें।
lock-pin = पिन
lock-unlock = अनलॉक करें
lock-checking = पिन जाँचा जा रहा है…
lock-now = लॉक करें
pin-change-title = पिन बदलें
pin-change-old = अभी का पिन
pin-change-submit = पिन बदलें
pin-changed = पिन बदल गया है। अब से नया पिन इस्तेमाल करें।
