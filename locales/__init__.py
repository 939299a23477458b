"""Languages of the product: the gettext catalogs (``<language>/LC_MESSAGES/messages.po``),
the vocabulary's names, and dates and numbers per locale. See docs/languages.md."""
