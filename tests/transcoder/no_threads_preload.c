// Preloaded (LD_PRELOAD) into a program under test to play a machine with no thread left to give
// (memory or the process limit exhausted): every pthread_create fails as glibc's does then.

#include <errno.h>
#include <pthread.h>

int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  (void)thread;
  (void)attr;
  (void)start;
  (void)arg;
  return EAGAIN;
}
