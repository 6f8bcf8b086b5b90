"""Automatic detection of billing discrepancies: the HTML descriptions of the cases a
first run creates in bulk, sanitized as the field sanitizes them, without parsing each
(see ``_bulk_sanitize_html``). tests/test_detection_bulk.py compares with the field.
"""

import re

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools.mail import html_sanitize

# HTML sanitized in one batch (see _bulk_sanitize_html): block elements only at the top
# (paragraphs, lists of items), emphasis inside, no attributes, text without markup
# (escaped), as _detection_html writes them.
_INLINE = r"(?:</?(?:b|strong|em|i)>|[^<])*"
SIMPLE_HTML = re.compile(rf"(?:<p>{_INLINE}</p>|<ul>(?:<li>{_INLINE}</li>)*</ul>)+")
# One paragraph of escaped text (what _detection_html writes for a text without
# items): printable ASCII, Latin letters, currency signs and non-breaking spaces, the
# entities of escaping; no line break (the sanitizer's quote and signature detection
# needs one). The sanitizer gives it back with the quotes unescaped and non-breaking
# spaces as &nbsp; (PLAIN_PARAGRAPH_SANITIZED), tested character by character in
# tests/test_detection_bulk.py.
PLAIN_PARAGRAPH = re.compile(
    r"<p>(?:[ !#-%(-;=?-~\xa0-\u024f\u20a0-\u20cf]|&(?:amp|lt|gt|#39|#34);)*</p>"
)
PLAIN_PARAGRAPH_SANITIZED = (("&#39;", "'"), ("&#34;", '"'), ("\xa0", "&nbsp;"))


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _bulk_sanitize_html_columns(self, columns, rows):
        """Sanitize the values of the sanitized HTML columns in place, in one call per
        field for the simple ones; returns the names of the fields done."""
        done = set()
        for fname in columns:
            field = self._fields[fname]
            if field.type != "html" or not field.sanitize or field.sanitize_overridable:
                continue
            values = self._bulk_sanitize_html(field, [row.get(fname) for row in rows])
            for row, value in zip(rows, values, strict=True):
                if fname in row:
                    row[fname] = value
            done.add(fname)
        return done

    @api.model
    def _bulk_sanitize_html(self, field, values):
        """``values`` sanitized as ``field`` sanitizes each (its convert_to_cache).

        Sanitizing parses each value with lxml, about 0.5 ms a case. A paragraph of
        escaped text (PLAIN_PARAGRAPH, most descriptions) is not parsed: the
        sanitizer would give it back with its quotes unescaped and its non-breaking
        spaces as ``&nbsp;``, which is done here. The other simple
        values (the rules' descriptions: paragraphs and lists of escaped text, no
        attribute, see SIMPLE_HTML) are sanitized as one document, a ``<hr>``
        between two values, and split again: the sanitizer works per element and
        these values hold no element it treats by its neighbours (quotes,
        signatures, ``<hr>``, ``<br>``). Any other value, or a count that does not
        come back, is sanitized on its own."""
        result = list(values)
        plain = set()
        if self._bulk_plain_paragraph_applies(field):
            for i, value in enumerate(values):
                if isinstance(value, str) and PLAIN_PARAGRAPH.fullmatch(value):
                    value = str(value)  # Markup.replace would escape &nbsp;
                    for escaped, sanitized in PLAIN_PARAGRAPH_SANITIZED:
                        value = value.replace(escaped, sanitized)
                    result[i] = Markup(value)
                    plain.add(i)
        simple = [
            i
            for i, value in enumerate(values)
            if i not in plain
            and value
            and isinstance(value, str)
            and value == value.strip()
            and SIMPLE_HTML.fullmatch(value)
        ]
        if len(simple) > 1:
            joined = html_sanitize(
                "<hr>".join(values[i] for i in simple),
                **self._bulk_sanitize_options(field),
            )
            parts = str(joined).split("<hr>")
            if len(parts) == len(simple):
                for i, part in zip(simple, parts, strict=True):
                    result[i] = Markup(part)
                simple = set(simple)
            else:
                simple = set()
        else:
            simple = set()
        for i, value in enumerate(values):
            if i not in simple and i not in plain:
                result[i] = field.convert_to_cache(value, self)
        return result

    @api.model
    def _bulk_plain_paragraph_applies(self, field):
        """Whether ``field`` sanitizes as tested for PLAIN_PARAGRAPH: the Html field's
        own conversion."""
        return (
            type(field).convert_to_cache is fields.Html.convert_to_cache
            and type(field)._convert is fields.Html._convert
        )

    @api.model
    def _bulk_sanitize_options(self, field):
        """The options the Html field passes to html_sanitize (fields_textual.Html)."""
        return {
            "silent": True,
            "sanitize_tags": field.sanitize_tags,
            "sanitize_attributes": field.sanitize_attributes,
            "sanitize_style": field.sanitize_style,
            "sanitize_form": field.sanitize_form,
            "sanitize_conditional_comments": field.sanitize_conditional_comments,
            "output_method": field.sanitize_output_method,
            "strip_style": field.strip_style,
            "strip_classes": field.strip_classes,
        }
