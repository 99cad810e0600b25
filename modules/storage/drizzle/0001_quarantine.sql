CREATE TABLE `quarantine` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL,
	`code` text NOT NULL,
	`message` text NOT NULL,
	`bytes` blob NOT NULL
);
--> statement-breakpoint
CREATE INDEX `quarantine_created_at` ON `quarantine` (`created_at`,`id`);