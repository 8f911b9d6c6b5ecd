from gen_core.cli import main
from gen_core.distributed import exit_process

exit_process(main())
