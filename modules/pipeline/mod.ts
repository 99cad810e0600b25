// @deckhand/pipeline: the public face. Re-exports only.
export {};
