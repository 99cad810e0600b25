/**
 * `@deckhand/robot`: the on-robot Hono server (private app). Its face for the status page and tools.
 *
 * @module
 */
export { createRobotApp, type RobotAppOptions } from "./app.ts";
export { parseConfig, type RobotConfig, type SyncTargetSetting, usage } from "./config.ts";
export { type RunningRobot, startRobot, type StartRobotOptions } from "./robot.ts";
export type { CollectorRow, RobotEvent, RobotEvents, SystemRow } from "./event_hub.ts";
export { createStatusSource, type RunRow, type StatusSnapshot, type StatusSource } from "./status_source.ts";
