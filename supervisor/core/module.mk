PROGRAMS += corrald
corrald_SRCS := supervisor/core/*.c
corrald_DIR := sbin
