// @deckhand/storage: the public face. Re-exports only.
export {};
