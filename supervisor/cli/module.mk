PROGRAMS += corral
corral_SRCS := supervisor/cli/*.c
corral_DIR := bin
