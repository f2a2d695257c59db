#include "cli/command.h"

int main(int argc, char** argv) { return weft::cli::Run(argc, argv); }
