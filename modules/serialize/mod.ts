// @deckhand/serialize: the public face. Re-exports only.
export {};
