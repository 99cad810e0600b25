import { test } from "node:test";
import assert from "node:assert/strict";
import { campaignMain } from "./campaign.ts";

const capture = () => {
  let text = "";
  return { out: { write: (t: string) => (text += t) }, text: () => text };
};

test("campaign --help prints the options and runs nothing", async () => {
  const io = capture();
  assert.equal(await campaignMain(["--help"], io.out), 0);
  assert.match(io.text(), /--long {7}the published scorecard: 55 kill rounds, a 600 s soak/);
});

test("an unknown option or a number that is not one is a usage error (2), and nothing runs", async () => {
  for (const args of [["--bogus"], ["--seconds", "ten"], ["--rounds"], ["--seed", "-3"]]) {
    const io = capture();
    assert.equal(await campaignMain(args, io.out), 2, args.join(" "));
    assert.match(io.text(), /usage: deckhand campaign/);
    assert.doesNotMatch(io.text(), /\[campaign\]/);
  }
});
