/* SPDX-License-Identifier: GPL-2.0-or-later */
/* messages.h — the MESSAGE_ID= of corrald's journal entries about a job's
 * life (journalctl MESSAGE_ID=...), documented in corrald(8) "JOURNAL
 * FIELDS" with the fields each carries. Made once with `systemd-id128 new`;
 * never change one: admins' queries and alerts name them. Each is the whole
 * field, "MESSAGE_ID=...", as log_job_full() takes it. */
#pragma once

/* submitted: CORRAL_POLICY= */
#define CORRAL_MESSAGE_JOB_SUBMITTED "MESSAGE_ID=97ea6ee754c8497ab62510def9af5802"
/* the launcher runs the job: CORRAL_STATE=RUNNING, CORRAL_LAUNCHER_PID= */
#define CORRAL_MESSAGE_JOB_STARTED "MESSAGE_ID=6ad683184bc3435d9a2d9b3a85fbc49a"
/* the job could not be started: CORRAL_STATE=FAILED, CORRAL_REASON= */
#define CORRAL_MESSAGE_JOB_LAUNCH_FAILED "MESSAGE_ID=12ece5048c7444db91821ca268910591"
/* the job ended (or was cancelled while queued): CORRAL_STATE=,
 * CORRAL_EXIT=, CORRAL_SIGNAL=, CORRAL_REASON= when it failed */
#define CORRAL_MESSAGE_JOB_ENDED "MESSAGE_ID=6d9d0f6d1b50429fba0de2ab35a5889a"
/* corral-epilogue ran after the job: CORRAL_EPILOGUE_EXIT= (0 clean, 1 not
 * clean, 2 could not run), CORRAL_EPILOGUE_KILLED= */
#define CORRAL_MESSAGE_EPILOGUE_DONE "MESSAGE_ID=33e9419937e345889a4ca2a8f5e40d13"
