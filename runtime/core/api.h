/* Marks the functions libferry exports; everything else stays hidden. */
#ifndef FERRY_API_H
#define FERRY_API_H

#define FERRY_API __attribute__((visibility("default")))

#endif
