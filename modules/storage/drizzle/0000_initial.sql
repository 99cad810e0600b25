CREATE TABLE `analyses` (
	`id` text PRIMARY KEY NOT NULL,
	`protocol_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`version` integer NOT NULL,
	`doc` text NOT NULL,
	FOREIGN KEY (`protocol_id`) REFERENCES `protocols`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `analyses_protocol_created_at` ON `analyses` (`protocol_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `changes` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`entity` text NOT NULL,
	`id` text NOT NULL,
	`kind` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `changes_entity_id` ON `changes` (`entity`,`id`);--> statement-breakpoint
CREATE TABLE `commands` (
	`run_id` text NOT NULL,
	`idx` integer NOT NULL,
	`command_id` text NOT NULL,
	`version` integer NOT NULL,
	`doc` text NOT NULL,
	PRIMARY KEY(`run_id`, `idx`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `commands_run_command_id` ON `commands` (`run_id`,`command_id`);--> statement-breakpoint
CREATE TABLE `protocols` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL,
	`version` integer NOT NULL,
	`doc` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `protocols_created_at` ON `protocols` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`protocol_id` text,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`completed_at` integer,
	`interrupted_at` integer,
	`status` text NOT NULL,
	`command_count` integer DEFAULT 0 NOT NULL,
	`version` integer NOT NULL,
	`doc` text NOT NULL,
	`summary_version` integer,
	`summary` text,
	FOREIGN KEY (`protocol_id`) REFERENCES `protocols`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `runs_created_at` ON `runs` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_status` ON `runs` (`status`);--> statement-breakpoint
CREATE INDEX `runs_protocol_id` ON `runs` (`protocol_id`);