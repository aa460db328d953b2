/* The libmount reference for `plan --mountinfo`: the whole process of parsing a mountinfo
 * file into a libmount table with mnt_new_table_from_file, and nothing else. */
#include <libmount/libmount.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: bench_libmount_parse MOUNTINFO\n");
    return 2;
  }
  struct libmnt_table* table = mnt_new_table_from_file(argv[1]);
  if (table == NULL) return 1;
  printf("%d entries\n", mnt_table_get_nents(table));
  mnt_unref_table(table);
  return 0;
}
