/**
 * `@deckhand/campaign`: the whole-system fault campaign and its parts (fault proxy, hostile corpus, process
 * sampler, full-disk harness, acknowledged-writes ledger and checks, scorecard). Private, Node only.
 *
 * @example
 * ```ts
 * const scorecard = await runCampaign({ mode: "short", seed: 1, log: console.log });
 * await writeFile("docs/RELIABILITY.md", renderScorecard(scorecard));
 * ```
 *
 * @module
 */
export { campaignMain, campaignUsage, type CampaignOptions, type CampaignPlan, plans, runCampaign } from "./campaign.ts";
export { type Scorecard, renderScorecard } from "./scorecard.ts";
export { type FaultKind, type FaultProxy, type FaultProxyOptions, type FaultWeights, startFaultProxy } from "./fault_proxy.ts";
export { generateHostileCorpus, type HostileCase, type HostileClass, hostileClasses, judgeAnswer } from "./hostile_corpus.ts";
export { type RawAnswer, type RawRequest, sendRawRequest } from "./raw_http.ts";
export { judgeFlat, type ProcessSample, sampleProcess, startProcessSampler } from "./process_sampler.ts";
export { type SmallFilesystem, smallFilesystemUnavailable, withSmallFilesystem } from "./small_filesystem.ts";
export { type AckLedger, checkAcknowledgedWrites, createAckLedger } from "./ack_ledger.ts";
export { checkChangeFeed } from "./change_feed_check.ts";
export { checkCaptureWindow, readCaptureMessages } from "./capture_census.ts";
export { censusTarget, checkTargetFiles, startFinishedFileWatcher } from "./target_census.ts";
