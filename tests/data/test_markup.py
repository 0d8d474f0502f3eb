"""HTML tags and entities out of texts, in Python and in TensorFlow alike."""

from __future__ import annotations

import tensorflow as tf

from attnflow.data.markup import strip_markup, strip_markup_tensor

TEXTS = ["Great coffee!<br /><br />Thank you &amp; <a href=\"http://x.com/p\">see here</a>",
         "a < b and c > d, &lt;3 &quot;really&quot;\n<!-- a\ncomment -->ok&nbsp;fine",
         "<p>It&#39;s <span class=\"tiny\">tiny</span></p>", "no markup at all", "<br/>"]
CLEAN = ["Great coffee! Thank you & see here", 'a < b and c > d, <3 "really" ok fine',
         "It's tiny", "no markup at all", ""]


def test_tags_go_and_entities_are_decoded():
    assert [strip_markup(text) for text in TEXTS] == CLEAN
    assert "/>" not in strip_markup("I liked it.<br />Thank you") and \
        strip_markup("I liked it.<br />Thank you").split()[-2] == "Thank"


def test_the_tensorflow_version_gives_the_same_texts():
    served = [text.decode("utf-8") for text in strip_markup_tensor(tf.constant(TEXTS)).numpy()]
    assert served == CLEAN
